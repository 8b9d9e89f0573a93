"""Valid form submissions for every section, as a browser would post them.

Dates are before ``conftest.NOW`` (1 June 2024). ``EDITS`` gives, per section,
one field to change, the posted value and the value then stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

FORM_DATA: dict[str, dict[str, str]] = {
    "condition": {
        "label": "Asthme",
        "icd10_code": "j45.0",
        "status": "active",
        "start_date": "2020-03-01",
        "end_date": "",
        "notes": "",
    },
    "treatment": {
        "medicine": "Salbutamol",
        "dose": "2 bouffées",
        "frequency": "si besoin",
        "start_date": "2020-03-01",
        "end_date": "",
        "prescriber": "",
        "notes": "",
    },
    "hospitalisation": {
        "reason": "Appendicite",
        "place": "CHU de Nantes",
        "admission_date": "2019-05-02",
        "discharge_date": "2019-05-05",
        "notes": "",
    },
    "handicap": {
        "kind": "auditif",
        "label": "Surdité partielle",
        "since": "2015-01-01",
        "recognition": "",
        "notes": "",
    },
    "allergy": {
        "kind": "allergy",
        "substance": "Pénicilline",
        "reaction": "Urticaire",
        "severity": "moderate",
        "since": "2010-06-01",
    },
    "family": {
        "relative": "mother",
        "condition": "Diabète de type 2",
        "age_at_onset": "55",
        "notes": "",
    },
    "habit": {
        "kind": "tobacco",
        "description": "Cigarettes",
        "quantity": "10",
        "since": "2005-01-01",
        "until": "",
    },
    "vaccination": {
        "vaccine": "Boostrixtetra",
        "target_disease": "Diphtérie, tétanos, coqueluche, polio",
        "dose": "rappel",
        "date": "2021-09-15",
        "batch_number": "",
        "vaccinator": "",
    },
    "measure": {
        "kind": "weight",
        "value": "70,5",
        "value2": "",
        "measured_at": "2024-03-10T08:30",
        "notes": "",
    },
}

# section -> (field, posted value, stored value)
EDITS: dict[str, tuple[str, str, Any]] = {
    "condition": ("label", "Asthme allergique", "Asthme allergique"),
    "treatment": ("dose", "4 bouffées", "4 bouffées"),
    "hospitalisation": ("place", "CHU de Rennes", "CHU de Rennes"),
    "handicap": ("label", "Surdité totale", "Surdité totale"),
    "allergy": ("substance", "Amoxicilline", "Amoxicilline"),
    "family": ("condition", "Hypertension", "Hypertension"),
    "habit": ("quantity", "5", Decimal(5)),
    "vaccination": ("date", "2022-09-15", dt.date(2022, 9, 15)),
    "measure": ("value", "68,2", Decimal("68.2")),
}

# The string the stored entry shows in lists and in the timeline title.
TITLES: dict[str, str] = {
    "condition": "Asthme (J45.0)",
    "treatment": "Salbutamol",
    "hospitalisation": "Appendicite — CHU de Nantes",
    "handicap": "Surdité partielle",
    "allergy": "Allergie : Pénicilline",
    "family": "Diabète de type 2 (Mère)",
    "habit": "Tabac : Cigarettes",
    "vaccination": "Boostrixtetra",
    "measure": "Poids : 70,5 kg",
}

# A text the section's list shows for the entry of FORM_DATA.
LISTED: dict[str, str] = {
    "condition": "Asthme",
    "treatment": "Salbutamol",
    "hospitalisation": "CHU de Nantes",
    "handicap": "Surdité partielle",
    "allergy": "Pénicilline",
    "family": "Diabète de type 2",
    "habit": "10 cigarettes/jour",
    "vaccination": "Boostrixtetra",
    "measure": "70,5 kg",
}


def post_data(section: str, **changes: str) -> dict[str, str]:
    return {**FORM_DATA[section], **changes}
