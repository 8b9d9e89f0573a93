"""The Moreau family: two parents, Emma (16) and Louis (4)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from records.management.demo.base import (
    ACCOUNTS_BY_KEY,
    DOMAIN,
    GP_NAME,
    Fill,
    Person,
    Seeder,
    after_months,
    at,
    dec,
    make_nir,
    seeded_rng,
    years_before,
)
from records.management.demo.schedules import infant_schedule
from records.models import (
    Allergy,
    AllergyKind,
    Condition,
    ConditionStatus,
    Entry,
    FamilyHistory,
    Habit,
    HabitKind,
    Hospitalisation,
    Measure,
    MeasureKind,
    Patient,
    Relative,
    Severity,
    Sex,
    Treatment,
    Vaccination,
)


def seed_moreau_family(s: Seeder) -> list[Person]:
    """Parents first (the physiotherapist cares for Julien), then the children."""
    emma_birth = years_before(s.today, 16) - dt.timedelta(days=63)
    louis_birth = years_before(s.today, 4) - dt.timedelta(days=140)
    return [
        _member(s, "julien", "Julien Pierre", Sex.MALE, dt.date(1985, 5, 17), _fill_julien,
                phone="+33612345678"),
        _member(s, "camille", "Camille Anne", Sex.FEMALE, dt.date(1987, 9, 3), _fill_camille,
                phone="+33623456789", birth_names="LEFEBVRE", used_name="MOREAU"),
        _member(s, "emma", "Emma Louise", Sex.FEMALE, emma_birth, _fill_emma),
        _member(s, "louis", "Louis Gabriel", Sex.MALE, louis_birth, _fill_louis),
    ]  # fmt: skip


def _member(
    s: Seeder,
    key: str,
    given_names: str,
    sex: str,
    birth: dt.date,
    fill: Fill,
    *,
    phone: str = "",
    birth_names: str = "MOREAU",
    used_name: str = "",
) -> Person:
    # Louis has no login: a 4-year-old's notices go to his mother.
    account = ACCOUNTS_BY_KEY.get(key)
    user = s.user(account, given_names.split()[0], "Moreau") if account else None
    data = {
        "nir": make_nir(sex=sex, birth_date=birth, rng=seeded_rng(f"{key}-nir")),
        "birth_names": birth_names,
        "used_name": used_name,
        "given_names": given_names,
        "birth_date": birth,
        "sex": sex,
        "address_line1": "14 rue Amélie",
        "postcode": "75007",
        "city": "Paris",
        "email": account.email if account else f"camille.moreau@{DOMAIN}",
        "phone": phone,
    }
    # The children's birth dates, and so their INS, move with today: find them by name.
    is_child = birth > years_before(s.today, 18)
    patient, created = s.patient(data, user=user, key_on_nir=not is_child)
    return patient, created, fill


def _fill_julien(s: Seeder, p: Patient) -> None:
    rng = seeded_rng("julien")
    gp, physio, today = s.users["gp"], s.users["physio"], s.today
    dr = GP_NAME
    s.imp(
        p,
        Condition,
        icd10_code="J30.1",
        label="Rhinite allergique aux pollens",
        start_date=dt.date(2002, 5, 1),
    )
    s.imp(
        p,
        Allergy,
        kind=AllergyKind.ALLERGY,
        substance="Pollens de graminées",
        reaction="Rhinite et conjonctivite",
        severity=Severity.MILD,
        since=dt.date(2002, 5, 1),
    )
    s.imp(
        p,
        Treatment,
        medicine="Cétirizine 10 mg",
        dose="1 comprimé",
        frequency="le soir, d’avril à juin",
        start_date=dt.date(2002, 5, 1),
    )
    s.imp(
        p,
        FamilyHistory,
        relative=Relative.FATHER,
        condition="Hypertension artérielle",
        age_at_onset=50,
    )
    s.imp(
        p,
        Vaccination,
        vaccine="Boostrixtetra",
        target_disease="Diphtérie, tétanos, coqueluche, poliomyélite",
        dose="Rappel (25 ans)",
        date=dt.date(2010, 6, 8),
        batch_number="AC37B",
        vaccinator="Dr Alain Roche",
    )
    for n, day in enumerate((dt.date(2021, 6, 2), dt.date(2021, 7, 7))):
        s.imp(
            p,
            Vaccination,
            vaccine="Comirnaty",
            target_disease="Covid-19",
            dose=f"{n + 1}{'re' if n == 0 else 'e'} dose",
            date=day,
            batch_number=f"FE{3592 + n}",
            vaccinator="Centre de vaccination Paris 7e",
        )
    back = today - dt.timedelta(days=420)
    s.by(
        gp,
        p,
        Condition,
        icd10_code="M54.5",
        label="Lombalgie commune chronique",
        start_date=back,
        notes="Pas de signe d’alerte. Kinésithérapie prescrite.",
    )
    s.by(
        gp,
        p,
        Treatment,
        medicine="Ibuprofène 400 mg",
        dose="1 comprimé",
        frequency="3 fois par jour pendant 5 jours",
        start_date=back,
        end_date=back + dt.timedelta(days=4),
        prescriber=dr,
    )
    s.by(
        physio,
        p,
        Habit,
        kind=HabitKind.ACTIVITY,
        description="Auto-rééducation : gainage et étirements quotidiens",
        quantity=Decimal(70),
        since=today - dt.timedelta(days=190),
    )
    s.by(
        gp,
        p,
        Habit,
        kind=HabitKind.ACTIVITY,
        description="Course à pied",
        quantity=Decimal(120),
        since=dt.date(2015, 1, 1),
    )
    s.by(
        gp,
        p,
        Habit,
        kind=HabitKind.ALCOHOL,
        description="Bière ou vin le week-end",
        quantity=Decimal(4),
    )
    _adult_checkups(s, p, rng, weight=(78.0, 81.5), height=180.0, pressure=(124, 78))


def _fill_camille(s: Seeder, p: Patient) -> None:
    rng = seeded_rng("camille")
    gp = s.users["gp"]
    dr = GP_NAME
    louis = Patient.objects.get(birth_names="MOREAU", given_names="Louis Gabriel")
    emma = Patient.objects.get(birth_names="MOREAU", given_names="Emma Louise")
    s.imp(p, Condition, icd10_code="E03.9", label="Hypothyroïdie", start_date=dt.date(2015, 11, 3))
    s.imp(
        p,
        Treatment,
        medicine="Lévothyroxine 75 µg",
        dose="1 comprimé",
        frequency="le matin à jeun",
        start_date=dt.date(2015, 11, 10),
        prescriber=dr,
    )
    s.imp(
        p,
        Allergy,
        kind=AllergyKind.INTOLERANCE,
        substance="Lactose",
        reaction="Ballonnements, douleurs abdominales",
        severity=Severity.MILD,
        since=dt.date(2008, 1, 1),
    )
    s.imp(
        p,
        FamilyHistory,
        relative=Relative.MOTHER,
        condition="Cancer du sein",
        age_at_onset=52,
        notes="Dépistage par mammographie à discuter dès 40 ans.",
    )
    for child, maternity in ((emma, "Maternité de Port-Royal"), (louis, "Maternité des Bluets")):
        s.imp(
            p,
            Hospitalisation,
            place=maternity,
            admission_date=child.birth_date - dt.timedelta(days=1),
            discharge_date=child.birth_date + dt.timedelta(days=3),
            reason=f"Accouchement par voie basse (naissance de {child.first_given_name})",
        )
    s.imp(
        p,
        Vaccination,
        vaccine="Boostrixtetra",
        target_disease="Coqueluche (pendant la grossesse)",
        dose="1 dose",
        date=louis.birth_date - dt.timedelta(days=60),
        batch_number="AC52K",
        vaccinator="Sage-femme, Maternité des Bluets",
    )
    s.by(
        gp,
        p,
        Habit,
        kind=HabitKind.SLEEP,
        description="Sommeil court en semaine",
        quantity=Decimal("6.5"),
    )
    s.by(
        gp,
        p,
        Vaccination,
        vaccine="Vaxigrip Tetra",
        target_disease="Grippe saisonnière",
        dose="Dose annuelle",
        date=dt.date(s.today.year - 1, 11, 4),
        batch_number="VX4410",
        vaccinator=dr,
    )
    _adult_checkups(s, p, rng, weight=(61.0, 63.0), height=166.0, pressure=(112, 70))


def _adult_checkups(
    s: Seeder,
    p: Patient,
    rng: random.Random,
    *,
    weight: tuple[float, float],
    height: float,
    pressure: tuple[int, int],
) -> None:
    """A yearly visit to the GP for six years: weight, height, blood pressure, pulse."""
    gp = s.users["gp"]
    for k in range(5, -1, -1):
        day = s.today - dt.timedelta(days=365 * k + 45)
        when = at(day, 18)
        w = weight[0] + (weight[1] - weight[0]) * (5 - k) / 5 + rng.gauss(0, 0.6)
        s.by(gp, p, Measure, kind=MeasureKind.WEIGHT, value=dec(w, 1), measured_at=when)
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.BLOOD_PRESSURE,
            value=dec(pressure[0] + rng.gauss(0, 5), 0),
            value2=dec(pressure[1] + rng.gauss(0, 3), 0),
            measured_at=when,
        )
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.HEART_RATE,
            value=dec(64 + rng.gauss(0, 5), 0),
            measured_at=when,
        )
        if k in (5, 0):
            s.by(gp, p, Measure, kind=MeasureKind.HEIGHT, value=dec(height, 1), measured_at=when)


def _child_common(s: Seeder, p: Patient, rng: random.Random, factor: float, maternity: str) -> None:
    gp = s.users["gp"]
    dr = GP_NAME

    def by_gp(model: type[Entry], **data: Any) -> None:
        s.by(gp, p, model, **data)

    s.growth(p, rng, factor, gp, maternity)
    visits: dict[float, dt.date] = {}  # the vaccines due at one age are given at one visit
    for months, vaccine, dose in infant_schedule(p.birth_date):
        if months not in visits:
            visits[months] = after_months(p.birth_date, months) + dt.timedelta(
                days=rng.randint(0, 9)
            )
        s.vaccinate(by_gp, rng, visits[months], vaccine, dose, dr)
    s.imp(
        p,
        FamilyHistory,
        relative=Relative.GRANDMOTHER,
        condition="Cancer du sein",
        age_at_onset=52,
        notes="Grand-mère maternelle.",
    )


def _fill_emma(s: Seeder, p: Patient) -> None:
    rng = seeded_rng("emma")
    gp, me = s.users["gp"], s.users["emma"]
    _child_common(s, p, rng, 0.98, "Maternité de Port-Royal")
    asthma = after_months(p.birth_date, 9 * 12 + 2)
    s.by(
        gp,
        p,
        Condition,
        icd10_code="J45.9",
        label="Asthme d’effort",
        start_date=asthma,
        notes="Bien contrôlé. Plan d’action remis.",
    )
    s.by(
        gp,
        p,
        Treatment,
        medicine="Salbutamol 100 µg (Ventoline), inhalateur",
        dose="2 bouffées",
        frequency="avant le sport et en cas de gêne",
        start_date=asthma,
        prescriber=GP_NAME,
    )
    # Emma asked her GP to keep her contraception from her parents (she is 16).
    pill = s.by(
        gp,
        p,
        Treatment,
        medicine="Lévonorgestrel 0,1 mg / éthinylestradiol 0,02 mg (Leeleu)",
        dose="1 comprimé",
        frequency="par jour, 21 jours sur 28",
        start_date=s.today - dt.timedelta(days=90),
        prescriber=GP_NAME,
    )
    s.keep_from_guardians(gp, p, pill)
    s.by(
        me,
        p,
        Habit,
        kind=HabitKind.ACTIVITY,
        description="Handball en club, deux entraînements et un match",
        quantity=Decimal(240),
        since=after_months(p.birth_date, 12 * 12),
    )
    s.by(
        me,
        p,
        Habit,
        kind=HabitKind.SLEEP,
        description="Couchée tard en semaine",
        quantity=Decimal(7),
    )


def _fill_louis(s: Seeder, p: Patient) -> None:
    rng = seeded_rng("louis")
    gp = s.users["gp"]
    _child_common(s, p, rng, 1.03, "Maternité des Bluets")
    bronchiolitis = after_months(p.birth_date, 3.5)
    s.imp(
        p,
        Hospitalisation,
        place="Hôpital pédiatrique Paris-Ouest",
        admission_date=bronchiolitis,
        discharge_date=bronchiolitis + dt.timedelta(days=3),
        reason="Bronchiolite à VRS",
        notes="Oxygénothérapie 48 heures. Pas de séquelle.",
    )
    otitis = after_months(p.birth_date, 18)
    s.by(
        gp,
        p,
        Condition,
        icd10_code="H66.9",
        label="Otite moyenne aiguë",
        start_date=otitis,
        end_date=otitis + dt.timedelta(days=10),
        status=ConditionStatus.RESOLVED,
    )
    s.by(
        gp,
        p,
        Allergy,
        kind=AllergyKind.ALLERGY,
        substance="Arachide",
        reaction="Urticaire et œdème des lèvres",
        severity=Severity.SEVERE,
        since=after_months(p.birth_date, 26),
    )
    s.by(
        gp,
        p,
        Treatment,
        medicine="Adrénaline 0,15 mg, stylo auto-injecteur (Anapen)",
        dose="1 injection",
        frequency="en cas de réaction allergique grave",
        start_date=after_months(p.birth_date, 27),
        prescriber=GP_NAME,
        notes="Deux stylos : à la maison et à l’école (PAI).",
    )
    s.by(
        gp,
        p,
        Measure,
        kind=MeasureKind.TEMPERATURE,
        value=Decimal("39.1"),
        measured_at=at(otitis, 19),
        notes="Fièvre, otalgie droite",
    )
