"""Gérard Fontaine (74, chronic conditions) and Dominique PAT-TROIS (the CDA samples' patient)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from records.management.demo.base import (
    ACCOUNTS_BY_KEY,
    GP_NAME,
    PAT_TROIS_INS,
    Person,
    Seeder,
    at,
    dec,
    make_nir,
    seeded_rng,
    years_before,
)
from records.models import (
    Allergy,
    AllergyKind,
    Condition,
    ConditionStatus,
    Entry,
    FamilyHistory,
    Habit,
    HabitKind,
    Handicap,
    HandicapKind,
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


# --- Gérard Fontaine: 74, type 2 diabetes, hypertension, atrial fibrillation ----
def seed_gerard(s: Seeder) -> Person:
    account = ACCOUNTS_BY_KEY["gerard"]
    user = s.user(account, "Gérard", "Fontaine")
    birth = years_before(s.today, 74) - dt.timedelta(days=97)
    data = {
        "nir": make_nir(sex=Sex.MALE, birth_date=birth, rng=seeded_rng("gerard-nir")),
        "birth_names": "FONTAINE",
        "given_names": "Gérard Louis",
        "birth_date": birth,
        "sex": Sex.MALE,
        "address_line1": "9 rue Augereau",
        "postcode": "75007",
        "city": "Paris",
        "email": account.email,
        "phone": "+33145559817",
    }
    patient, created = s.patient(data, user=user, key_on_nir=False)
    return patient, created, _fill_gerard


def _fill_gerard(s: Seeder, p: Patient) -> None:
    rng = seeded_rng("gerard")
    today = s.today
    me, gp = s.users["gerard"], s.users["gp"]
    pharmacist, nurse = s.users["pharmacist"], s.users["nurse"]
    dr = GP_NAME
    af_day = today - dt.timedelta(days=3 * 365 + 120)
    metformin_up = today - dt.timedelta(days=4 * 365 + 30)
    y = today.year

    def imp(model: type[Entry], **data: Any) -> None:
        s.imp(p, model, **data)

    def by_gp(model: type[Entry], **data: Any) -> None:
        s.by(gp, p, model, **data)

    def by_me(model: type[Entry], **data: Any) -> None:
        s.by(me, p, model, **data)

    def by_nurse(model: type[Entry], **data: Any) -> None:
        s.by(nurse, p, model, **data)

    def by_pharmacist(model: type[Entry], **data: Any) -> None:
        s.by(pharmacist, p, model, **data)

    # History carried over from the previous record.
    imp(
        Condition,
        icd10_code="I10",
        label="Hypertension artérielle essentielle",
        start_date=dt.date(y - 18, 3, 12),
        notes="Découverte lors d’un bilan de médecine du travail.",
    )
    imp(
        Condition,
        icd10_code="E11.9",
        label="Diabète de type 2 sans complication",
        start_date=dt.date(y - 14, 10, 2),
        notes="HbA1c cible ≤ 7 %. Fond d’œil annuel.",
    )
    imp(
        Condition,
        icd10_code="E78.0",
        label="Hypercholestérolémie pure",
        start_date=dt.date(y - 12, 1, 20),
    )
    imp(
        Condition,
        icd10_code="H90.3",
        label="Surdité de perception bilatérale",
        start_date=dt.date(y - 6, 6, 1),
    )
    imp(
        Condition,
        icd10_code="K35.8",
        label="Appendicite aiguë",
        start_date=dt.date(1968, 5, 2),
        end_date=dt.date(1968, 5, 20),
        status=ConditionStatus.RESOLVED,
        notes="Appendicectomie.",
    )
    imp(
        Treatment,
        medicine="Ramipril 5 mg",
        dose="1 comprimé",
        frequency="le matin",
        start_date=dt.date(y - 18, 4, 1),
        prescriber=dr,
    )
    imp(
        Treatment,
        medicine="Metformine 500 mg",
        dose="1 comprimé",
        frequency="matin et soir",
        start_date=dt.date(y - 14, 10, 15),
        end_date=metformin_up - dt.timedelta(days=1),
        prescriber=dr,
        notes="Dose augmentée faute d’équilibre glycémique.",
    )
    imp(
        Treatment,
        medicine="Atorvastatine 20 mg",
        dose="1 comprimé",
        frequency="le soir",
        start_date=dt.date(y - 12, 2, 1),
        prescriber=dr,
    )
    imp(
        Allergy,
        kind=AllergyKind.ALLERGY,
        substance="Pénicillines",
        reaction="Urticaire généralisée",
        severity=Severity.MODERATE,
        since=dt.date(1985, 7, 1),
    )
    imp(
        Handicap,
        kind=HandicapKind.HEARING,
        label="Surdité bilatérale appareillée",
        since=dt.date(y - 6, 6, 1),
        notes="Parler face à lui, lentement ; appareils auditifs des deux côtés.",
    )
    imp(FamilyHistory, relative=Relative.FATHER, condition="Infarctus du myocarde", age_at_onset=62)
    imp(FamilyHistory, relative=Relative.MOTHER, condition="Diabète de type 2", age_at_onset=60)
    imp(
        FamilyHistory,
        relative=Relative.BROTHER,
        condition="Cancer colorectal",
        age_at_onset=68,
        notes="Coloscopie de dépistage recommandée.",
    )
    imp(
        Habit,
        kind=HabitKind.TOBACCO,
        description="Ancien fumeur (35 paquets-années)",
        quantity=Decimal(20),
        since=dt.date(1970, 1, 1),
        until=dt.date(2005, 6, 1),
    )
    imp(Habit, kind=HabitKind.ALCOHOL, description="Vin rouge aux repas", quantity=Decimal(7))
    imp(
        Hospitalisation,
        place="Centre hospitalier Paris-Ouest, service de cardiologie",
        admission_date=af_day,
        discharge_date=af_day + dt.timedelta(days=4),
        reason="Fibrillation auriculaire rapide révélée par des palpitations",
        notes="Cardioversion médicamenteuse. Anticoagulation par apixaban. Échographie cardiaque normale.",
    )
    imp(
        Vaccination,
        vaccine="Revaxis",
        target_disease="Diphtérie, tétanos, poliomyélite",
        dose="Rappel (65 ans)",
        date=years_before(p.birth_date, -65) + dt.timedelta(days=40),
        batch_number="R4512",
        vaccinator=dr,
    )

    # The GP's follow-up since the care relationship.
    by_gp(
        Condition,
        icd10_code="I48.9",
        label="Fibrillation auriculaire paroxystique",
        start_date=af_day,
        notes="CHA₂DS₂-VASc = 4 : anticoagulation au long cours.",
    )
    by_gp(
        Treatment,
        medicine="Metformine 1000 mg",
        dose="1 comprimé",
        frequency="matin et soir, au repas",
        start_date=metformin_up,
        prescriber=dr,
    )
    by_gp(
        Treatment,
        medicine="Apixaban 5 mg (Eliquis)",
        dose="1 comprimé",
        frequency="matin et soir",
        start_date=af_day + dt.timedelta(days=4),
        prescriber=dr,
        notes="Ne jamais arrêter sans avis médical. Pas d’anti-inflammatoires.",
    )
    by_gp(
        Treatment,
        medicine="Bisoprolol 2,5 mg",
        dose="1 comprimé",
        frequency="le matin",
        start_date=af_day + dt.timedelta(days=4),
        prescriber=dr,
    )
    by_gp(
        Habit,
        kind=HabitKind.ACTIVITY,
        description="Marche d’un bon pas, 30 minutes 5 jours sur 7",
        quantity=Decimal(150),
        since=af_day + dt.timedelta(days=60),
    )
    by_gp(Habit, kind=HabitKind.DIET, description="Alimentation pauvre en sucres rapides et en sel")
    by_gp(
        Vaccination,
        vaccine="Prevenar 20",
        target_disease="Pneumocoque",
        dose="Dose unique",
        date=today - dt.timedelta(days=700),
        batch_number="PV2031",
        vaccinator=dr,
    )
    for n, offset in enumerate((400, 340)):
        by_gp(
            Vaccination,
            vaccine="Shingrix",
            target_disease="Zona",
            dose=f"{n + 1}{'re' if n == 0 else 'e'} dose",
            date=today - dt.timedelta(days=offset),
            batch_number=f"SH{7810 + n}",
            vaccinator=dr,
        )
    # Flu and COVID-19 each autumn at the pharmacy.
    for year in range(y - 4, y + 1):
        day = dt.date(year, 10, 21)
        if day >= today:
            continue
        s.vaccinate(
            by_pharmacist,
            rng,
            day,
            ("Efluelda", "Grippe saisonnière"),
            "Dose annuelle",
            "Marc Lambert, pharmacien",
        )
        s.vaccinate(
            by_pharmacist,
            rng,
            day + dt.timedelta(days=1),
            ("Comirnaty", "Covid-19"),
            "Rappel annuel",
            "Marc Lambert, pharmacien",
        )

    # Five years of home measures: blood pressure and pulse every other Monday,
    # fasting glucose every other Thursday, weight once a month.
    start = today - dt.timedelta(days=5 * 365)
    day = start - dt.timedelta(days=start.weekday())
    span = (today - start).days
    while day < today:
        in_hospital = af_day <= day <= af_day + dt.timedelta(days=4)
        progress = (day - start).days / span
        winter = 3 if day.month in (12, 1, 2) else 0
        if day >= start and not in_hospital:
            systolic = 142 - 8 * progress + winter + rng.gauss(0, 6)
            diastolic = min(84 - 3 * progress + winter / 2 + rng.gauss(0, 4), systolic - 30)
            if day < af_day:
                pulse = 74 + rng.gauss(0, 4)
            elif day < af_day + dt.timedelta(days=30):
                pulse = 96 + rng.gauss(0, 10)
            else:
                pulse = 66 + rng.gauss(0, 6)
            when = at(day, 8, 0)
            by_me(
                Measure,
                kind=MeasureKind.BLOOD_PRESSURE,
                value=dec(systolic, 0),
                value2=dec(diastolic, 0),
                measured_at=when,
            )
            by_me(Measure, kind=MeasureKind.HEART_RATE, value=dec(pulse, 0), measured_at=when)
            if day.day <= 14:
                weight = 91.5 - 5.5 * progress + rng.gauss(0, 0.5)
                by_me(
                    Measure,
                    kind=MeasureKind.WEIGHT,
                    value=dec(weight, 1),
                    measured_at=at(day, 7, 45),
                )
        thursday = day + dt.timedelta(days=3)
        if start <= thursday < today and not in_hospital:
            base = 1.48 if thursday < metformin_up else 1.22
            glucose = max(0.8, base + rng.gauss(0, 0.1))
            by_me(
                Measure,
                kind=MeasureKind.BLOOD_GLUCOSE,
                value=dec(glucose, 2),
                measured_at=at(thursday, 7, 30),
                notes="À jeun",
            )
        day += dt.timedelta(days=14)

    # Yearly check-up at the GP's: height and waist; monthly nurse visits for the last 18 months.
    for k in range(5, -1, -1):
        day = today - dt.timedelta(days=365 * k + 30)
        by_gp(
            Measure,
            kind=MeasureKind.HEIGHT,
            value=dec(172.0 - (0.5 if k < 2 else 0), 1),
            measured_at=at(day, 11),
        )
        by_gp(
            Measure,
            kind=MeasureKind.WAIST,
            value=dec(108 - (5 - k) + rng.gauss(0, 0.8), 1),
            measured_at=at(day, 11),
        )
    for k in range(18, 0, -1):
        day = today - dt.timedelta(days=30 * k + 2)
        when = at(day, 14, 15)
        by_nurse(
            Measure,
            kind=MeasureKind.BLOOD_GLUCOSE,
            value=dec(max(0.9, 1.45 + rng.gauss(0, 0.15)), 2),
            measured_at=when,
            notes="Glycémie capillaire, 2 h après le repas",
        )
        by_nurse(
            Measure,
            kind=MeasureKind.BLOOD_PRESSURE,
            value=dec(134 + rng.gauss(0, 6), 0),
            value2=dec(78 + rng.gauss(0, 4), 0),
            measured_at=when,
            notes="Passage infirmier à domicile",
        )
        by_nurse(
            Measure,
            kind=MeasureKind.SPO2,
            value=dec(min(99, 96 + rng.gauss(0, 1)), 0),
            measured_at=when,
        )


# --- Dominique PAT-TROIS: the patient of the sample CDA documents ---------------
def seed_dominique(s: Seeder) -> Person:
    account = ACCOUNTS_BY_KEY["dominique"]
    user = s.user(account, "Dominique", "Pat-Trois")
    data = {
        "nir": PAT_TROIS_INS,
        "birth_names": "PAT-TROIS",
        "given_names": "Dominique Marie-Louise",
        "birth_date": dt.date(1979, 3, 28),
        "sex": Sex.FEMALE,
        "address_line1": "28 avenue de Breteuil",
        "address_line2": "Escalier A",
        "postcode": "75007",
        "city": "Paris",
        "email": f"{PAT_TROIS_INS}@patient.mssante.fr",
        "phone": "+33647151010",
    }
    patient, created = s.patient(data, user=user)
    return patient, created, _fill_dominique


def _fill_dominique(s: Seeder, p: Patient) -> None:
    """What the sample medical summary (VSM) and vaccination note say about her."""
    rng = seeded_rng("dominique")
    gp = s.users["gp"]
    vsm = "Repris de la synthèse médicale (VSM) du médecin traitant."

    def imp(model: type[Entry], **data: Any) -> None:
        s.imp(p, model, **data)

    imp(
        Condition,
        icd10_code="G45.9",
        label="Accident ischémique cérébral transitoire",
        start_date=dt.date(2019, 8, 11),
        notes=vsm,
    )
    imp(
        Condition,
        icd10_code="I20.0",
        label="Angine de poitrine instable",
        start_date=dt.date(2019, 8, 11),
        notes=vsm,
    )
    imp(
        Condition,
        icd10_code="I21.1",
        label="Infarctus transmural aigu du myocarde, paroi inférieure",
        start_date=dt.date(2018, 1, 14),
        end_date=dt.date(2018, 2, 14),
        status=ConditionStatus.RESOLVED,
        notes=vsm,
    )
    imp(
        Condition,
        icd10_code="N10",
        label="Pyélonéphrite aiguë",
        start_date=dt.date(2018, 4, 22),
        end_date=dt.date(2018, 5, 6),
        status=ConditionStatus.RESOLVED,
        notes=vsm,
    )
    imp(
        Hospitalisation,
        place="Clinique (établissement privé)",
        admission_date=dt.date(2018, 1, 14),
        discharge_date=dt.date(2018, 1, 19),
        reason="Infarctus du myocarde inférieur",
        notes="Dilatation de deux artères coronaires avec pose d’endoprothèses par voie transcutanée.",
    )
    imp(
        Treatment,
        medicine="Plavix 75 mg (clopidogrel)",
        dose="1 comprimé",
        frequency="1 fois par jour",
        start_date=dt.date(2019, 8, 11),
        notes="Motif : angine de poitrine instable.",
    )
    imp(
        Treatment,
        medicine="Coumadine 5 mg (warfarine)",
        dose="1 comprimé",
        frequency="1 fois par jour",
        start_date=dt.date(2019, 8, 11),
        notes="Motif : accident ischémique transitoire.",
    )
    imp(
        Allergy,
        kind=AllergyKind.ALLERGY,
        substance="Paracétamol",
        reaction="Allergie médicamenteuse, intermittente",
        since=dt.date(2018, 6, 3),
    )
    imp(Habit, kind=HabitKind.TOBACCO, description="Tabagisme (25 paquets-années)")
    imp(
        FamilyHistory,
        relative=Relative.MOTHER,
        condition="Anémie drépanocytaire",
        notes="Hypertriglycéridémie : notion familiale à préciser.",
    )
    imp(
        Vaccination,
        vaccine="Vaccin tétanique Pasteur",
        target_disease="Tétanos",
        dose="2e dose",
        date=dt.date(2009, 9, 28),
        batch_number="4456672",
        vaccinator="Dr Charles Muller",
    )
    # Quarterly consultations at the GP's.
    for k in range(16, -1, -1):
        day = s.today - dt.timedelta(days=91 * k + 12)
        when = at(day, 17, 30)
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.BLOOD_PRESSURE,
            value=dec(128 + rng.gauss(0, 7), 0),
            value2=dec(79 + rng.gauss(0, 4), 0),
            measured_at=when,
        )
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.HEART_RATE,
            value=dec(70 + rng.gauss(0, 5), 0),
            measured_at=when,
        )
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.WEIGHT,
            value=dec(64 + k * 0.15 + rng.gauss(0, 0.6), 1),
            measured_at=when,
        )
    s.by(
        gp,
        p,
        Measure,
        kind=MeasureKind.HEIGHT,
        value=Decimal("165.0"),
        measured_at=at(s.today - dt.timedelta(days=12), 17, 30),
    )
