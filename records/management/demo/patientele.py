"""The GP's other patients, drawn from the fixed lists of :mod:`.names` under a fixed seed."""

from __future__ import annotations

import datetime as dt

from records.management.demo.base import (
    DOMAIN,
    EXTRA_PATIENTS,
    GP_NAME,
    Person,
    Seeder,
    at,
    dec,
    make_nir,
    seeded_rng,
)
from records.management.demo.names import draw_identity
from records.models import Condition, Measure, MeasureKind, Patient, Sex, Treatment

PATIENTELE_CONDITIONS = (
    ("I10", "Hypertension artérielle essentielle", "Amlodipine 5 mg", "1 comprimé", "le matin"),
    ("J45.9", "Asthme", "Budésonide/formotérol 200/6 µg", "1 inhalation", "matin et soir"),
    ("E03.9", "Hypothyroïdie", "Lévothyroxine 50 µg", "1 comprimé", "le matin à jeun"),
    (
        "M81.0",
        "Ostéoporose post-ménopausique",
        "Acide alendronique 70 mg",
        "1 comprimé",
        "par semaine",
    ),
    ("F32.1", "Épisode dépressif moyen", "Sertraline 50 mg", "1 comprimé", "le matin"),
    ("K21.9", "Reflux gastro-œsophagien", "Ésoméprazole 20 mg", "1 gélule", "le soir"),
)


def seed_patientele(s: Seeder) -> list[Person]:
    patients: list[Person] = []
    for n in range(EXTRA_PATIENTS):
        rng = seeded_rng(f"patientele-{n}")
        sex = Sex.FEMALE if n % 2 == 0 else Sex.MALE
        birth = dt.date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
        # The INS before the names: an earlier demo's patients keep theirs.
        nir = make_nir(sex=sex, birth_date=birth, rng=rng)
        drawn = draw_identity(rng, sex)
        data = {
            "nir": nir,
            "birth_names": drawn.birth_names,
            "given_names": drawn.given_names,
            "birth_date": birth,
            "sex": sex,
            "address_line1": drawn.address_line1,
            "postcode": drawn.postcode,
            "city": drawn.city,
            "email": f"patient{n + 1}@{DOMAIN}",
        }
        patient, created = s.patient(data)
        patients.append((patient, created, _fill_patientele))
    return patients


def _fill_patientele(s: Seeder, p: Patient) -> None:
    rng = seeded_rng(f"patientele-{p.nir}")
    gp = s.users["gp"]
    choices = [c for c in PATIENTELE_CONDITIONS if p.sex == Sex.FEMALE or c[0] != "M81.0"]
    code, label, medicine, dose, frequency = rng.choice(choices)
    since = s.today - dt.timedelta(days=rng.randint(400, 4000))
    s.imp(p, Condition, icd10_code=code, label=label, start_date=since)
    s.imp(
        p,
        Treatment,
        medicine=medicine,
        dose=dose,
        frequency=frequency,
        start_date=since,
        prescriber=GP_NAME,
    )
    height = (158 if p.sex == Sex.FEMALE else 173) + rng.gauss(0, 6)
    weight = (height - 100) * (0.9 + rng.random() * 0.3)
    for k in range(3, -1, -1):
        when = at(s.today - dt.timedelta(days=182 * k + rng.randint(5, 40)), 16)
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.WEIGHT,
            value=dec(weight + rng.gauss(0, 1), 1),
            measured_at=when,
        )
        s.by(
            gp,
            p,
            Measure,
            kind=MeasureKind.BLOOD_PRESSURE,
            value=dec(128 + rng.gauss(0, 9), 0),
            value2=dec(78 + rng.gauss(0, 5), 0),
            measured_at=when,
        )
    s.by(gp, p, Measure, kind=MeasureKind.HEIGHT, value=dec(height, 1), measured_at=when)
