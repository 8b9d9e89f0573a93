"""Children's growth medians and the French vaccination calendar."""

from __future__ import annotations

import datetime as dt

from records.models import MeasureKind, Sex

# --- Children's growth: median by age in months, boys / girls (WHO-like) ----
GROWTH_AGES = (0, 0.25, 1, 2, 3, 4, 5, 6, 9, 12, 16, 18, 24, 36, 48, 60, 72, 84, 96, 108,
               120, 132, 144, 156, 168, 180, 192)  # fmt: skip
GROWTH: dict[str, dict[str, tuple[float, ...]]] = {
    Sex.MALE: {
        MeasureKind.WEIGHT: (3.35, 3.3, 4.5, 5.6, 6.4, 7.0, 7.5, 7.9, 8.9, 9.6, 10.5, 10.9, 12.2,
                             14.3, 16.3, 18.3, 20.5, 22.9, 25.6, 28.5, 31.2, 35.0, 39.0, 44.5,
                             50.0, 56.0, 60.8),
        MeasureKind.HEIGHT: (49.9, 50.5, 54.7, 58.4, 61.4, 63.9, 65.9, 67.6, 72.0, 75.7, 80.2,
                             82.3, 87.8, 96.1, 103.3, 110.0, 116.0, 121.7, 127.3, 132.6, 137.8,
                             143.1, 149.1, 156.0, 163.2, 169.0, 172.9),
        MeasureKind.HEAD_CIRCUMFERENCE: (34.5, 35.0, 37.3, 39.1, 40.5, 41.6, 42.6, 43.3, 45.0,
                                         46.1, 47.0, 47.4, 48.3, 49.5),
    },
    Sex.FEMALE: {
        MeasureKind.WEIGHT: (3.2, 3.15, 4.2, 5.1, 5.8, 6.4, 6.9, 7.3, 8.2, 8.9, 9.8, 10.2, 11.5,
                             13.9, 16.1, 18.2, 20.2, 22.4, 25.0, 28.2, 31.9, 36.0, 41.0, 45.8,
                             49.4, 51.9, 53.5),
        MeasureKind.HEIGHT: (49.1, 49.6, 53.7, 57.1, 59.8, 62.1, 64.0, 65.7, 70.1, 74.0, 78.6,
                             80.7, 86.4, 95.1, 102.7, 109.4, 115.1, 120.8, 126.6, 132.5, 138.6,
                             144.8, 151.2, 156.4, 159.8, 161.7, 162.5),
        MeasureKind.HEAD_CIRCUMFERENCE: (33.9, 34.3, 36.5, 38.3, 39.5, 40.6, 41.5, 42.2, 43.8,
                                         45.0, 45.9, 46.2, 47.2, 48.5),
    },
}  # fmt: skip
# The health certificates of the carnet de santé.
CERTIFICATES = {0.25: "Certificat de santé du 8e jour", 9: "Certificat de santé du 9e mois",
                24: "Certificat de santé du 24e mois"}  # fmt: skip

# --- French vaccination calendar --------------------------------------------
HEXA = ("Infanrix Hexa", "Diphtérie, tétanos, coqueluche, poliomyélite, Haemophilus influenzae b, hépatite B")  # fmt: skip
PCV = ("Prevenar 13", "Pneumocoque")
ROR = ("M-M-RVaxPro", "Rougeole, oreillons, rubéole")
MENC = ("Neisvac", "Méningocoque C")
MENB = ("Bexsero", "Méningocoque B")
MENACWY = ("Nimenrix", "Méningocoques A, C, W et Y")
ROTA = ("Rotarix", "Rotavirus")
DTCAP = ("Tetravac-acellulaire", "Diphtérie, tétanos, coqueluche, poliomyélite")
DTCAP_ADO = ("Boostrixtetra", "Diphtérie, tétanos, coqueluche, poliomyélite")
HPV = ("Gardasil 9", "Papillomavirus humains")


def infant_schedule(birth: dt.date) -> list[tuple[float, tuple[str, str], str]]:
    """(age in months, vaccine, dose) of the calendar in force when the child was born.

    Before 2013 the primary series was 2-3-4 months with a booster at 16-18
    months; from 2013 it is 2-4-11 months. Rotavirus and meningococcus B are
    recommended from 2022; from 2025 meningococcus ACWY replaces C.
    """
    plan: list[tuple[float, tuple[str, str], str]] = [(2, HEXA, "1re dose"), (2, PCV, "1re dose")]
    if birth.year < 2013:
        plan += [(3, HEXA, "2e dose"), (4, HEXA, "3e dose"), (4, PCV, "2e dose"),
                 (12, PCV, "Rappel"), (12, ROR, "1re dose"), (12, MENC, "Dose unique"),
                 (16, HEXA, "Rappel"), (16, ROR, "2e dose")]  # fmt: skip
    else:
        men = MENACWY if birth.year >= 2025 else MENC
        plan += [(4, HEXA, "2e dose"), (4, PCV, "2e dose"), (5 if men is MENC else 6, men, "1re dose"),
                 (11, HEXA, "Rappel"), (11, PCV, "Rappel"), (12, ROR, "1re dose"),
                 (12, men, "Rappel"), (16, ROR, "2e dose")]  # fmt: skip
        if birth.year >= 2022:
            plan += [(2, ROTA, "1re dose"), (3, ROTA, "2e dose"), (3, MENB, "1re dose"),
                     (5, MENB, "2e dose"), (12, MENB, "Rappel")]  # fmt: skip
    plan += [(72, DTCAP, "Rappel (6 ans)"), (132, DTCAP_ADO, "Rappel (11-13 ans)"),
             (133, HPV, "1re dose"), (139, HPV, "2e dose")]  # fmt: skip
    return sorted(plan, key=lambda item: item[0])
