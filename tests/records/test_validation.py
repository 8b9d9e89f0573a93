"""Bad input gets a precise French message and stores nothing, through pages and services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.timezone import make_aware
from pytest_django.asserts import assertContains, assertNotContains

from consent.policy import RecordAccess
from records import services
from records.lifecycle.models import Record, RecordTransition
from records.models import (
    SECTION_MODELS,
    Condition,
    Entry,
    FamilyHistory,
    Habit,
    Hospitalisation,
    Measure,
    Patient,
    TimelineEvent,
    Treatment,
    Vaccination,
)
from records.sections import SECTIONS_BY_KEY
from tests.records.sample import post_data

FUTURE = "Cette date ne peut pas être dans le futur."
MARKUP = "Les balises HTML ou le code ne sont pas acceptés dans ce champ."
ICD10 = "Code CIM-10 non reconnu : une lettre, deux chiffres, puis éventuellement un point et une précision (ex. J45.0)."
END_BEFORE_START = "La date de fin doit être postérieure ou égale à la date de début."

# (section, posted changes, field in error, exact French message)
BAD_INPUTS: list[tuple[str, dict[str, str], str, str]] = [
    (
        "measure",
        {"kind": "weight", "value": "2000"},
        "value",
        "Valeur non plausible pour la mesure « poids » : elle doit être comprise entre 0,3 et 400 kg.",
    ),
    (
        "measure",
        {"kind": "heart_rate", "value": "0"},
        "value",
        "Valeur non plausible pour la mesure « fréquence cardiaque » : elle doit être comprise entre 20 et 250 bpm.",
    ),
    (
        "measure",
        {"kind": "blood_pressure", "value": "120", "value2": "130"},
        "value2",
        "La tension diastolique doit être inférieure à la tension systolique.",
    ),
    (
        "measure",
        {"kind": "blood_pressure", "value": "120", "value2": "120"},
        "value2",
        "La tension diastolique doit être inférieure à la tension systolique.",
    ),
    (
        "measure",
        {"kind": "blood_pressure", "value": "120", "value2": ""},
        "value2",
        "Indiquez aussi la tension diastolique (le chiffre du bas).",
    ),
    (
        "measure",
        {"kind": "weight", "value": "70", "value2": "80"},
        "value2",
        "Une seule valeur est attendue pour cette mesure.",
    ),
    ("measure", {"measured_at": "2024-06-02T08:00"}, "measured_at", FUTURE),
    ("hospitalisation", {"admission_date": "2024-06-02"}, "admission_date", FUTURE),
    ("vaccination", {"date": "2030-01-01"}, "date", FUTURE),
    ("condition", {"start_date": "2024-06-02"}, "start_date", FUTURE),
    ("habit", {"since": "2024-07-01"}, "since", FUTURE),
    (
        "condition",
        {"start_date": "1850-01-01"},
        "start_date",
        "Cette date est trop ancienne pour être plausible.",
    ),
    (
        "hospitalisation",
        {"admission_date": "2019-05-05", "discharge_date": "2019-05-02"},
        "discharge_date",
        END_BEFORE_START,
    ),
    (
        "condition",
        {"label": "x" * 5000},
        "label",
        "Assurez-vous que cette valeur comporte au plus 200 caractères (actuellement 5000).",
    ),
    (
        "treatment",
        {"notes": "x" * 5000},
        "notes",
        "Assurez-vous que cette valeur comporte au plus 2000 caractères (actuellement 5000).",
    ),
    ("condition", {"label": "<script>alert(1)</script>"}, "label", MARKUP),
    ("allergy", {"reaction": "<b>x</b>"}, "reaction", MARKUP),
    ("treatment", {"notes": "voir <a href=x>ici</a>"}, "notes", MARKUP),
    ("condition", {"icd10_code": "XYZ"}, "icd10_code", ICD10),
    ("condition", {"icd10_code": "J4"}, "icd10_code", ICD10),
    (
        "habit",
        {"kind": "tobacco", "quantity": "150"},
        "quantity",
        "Quantité non plausible : entre 0 et 100 cigarettes/jour.",
    ),
    (
        "habit",
        {"kind": "sleep", "quantity": "30"},
        "quantity",
        "Quantité non plausible : entre 0 et 24 heures/nuit.",
    ),
    (
        "habit",
        {"kind": "diet", "quantity": "3"},
        "quantity",
        "Aucune quantité n’est attendue pour cette habitude.",
    ),
    (
        "family",
        {"age_at_onset": "130"},
        "age_at_onset",
        "Âge non plausible : il doit être compris entre 0 et 120 ans.",
    ),
]


def _ids(case: tuple[str, dict[str, str], str, str]) -> str:
    section, changes, field, _message = case
    shown = ",".join(f"{k}={v[:12]}" for k, v in changes.items())
    return f"{section}-{field}-{shown}"


def _counts() -> tuple[int, ...]:
    return (
        *(model.objects.count() for model in SECTION_MODELS.values()),
        TimelineEvent.objects.count(),
    )


@pytest.mark.parametrize("case", BAD_INPUTS, ids=_ids)
def test_bad_input_on_add_page_gives_french_error_and_stores_nothing(
    alice_client: Client, case: tuple[str, dict[str, str], str, str]
) -> None:
    section, changes, field, message = case
    before = _counts()

    response = alice_client.post(
        reverse("records:section_add", args=[SECTIONS_BY_KEY[section].slug]),
        post_data(section, **changes),
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assertContains(response, message)
    assertContains(response, "Rien n’a été enregistré.")
    assert _counts() == before


@pytest.mark.parametrize("case", BAD_INPUTS, ids=_ids)
def test_bad_input_on_edit_page_leaves_the_entry_unchanged(
    alice_client: Client, case: tuple[str, dict[str, str], str, str]
) -> None:
    section, changes, _field, message = case
    slug = SECTIONS_BY_KEY[section].slug
    alice_client.post(reverse("records:section_add", args=[slug]), post_data(section))
    model = SECTION_MODELS[section]
    entry = model.objects.get()
    event = TimelineEvent.objects.get(kind=section, source_id=entry.pk)
    stored = {f.attname: getattr(entry, f.attname) for f in model._meta.concrete_fields}

    response = alice_client.post(
        reverse("records:section_edit", args=[slug, entry.pk]), post_data(section, **changes)
    )

    assertContains(response, message)
    entry.refresh_from_db()
    assert {f.attname: getattr(entry, f.attname) for f in model._meta.concrete_fields} == stored
    refreshed = TimelineEvent.objects.get(pk=event.pk)
    assert (refreshed.title, refreshed.occurred_at) == (event.title, event.occurred_at)


def test_markup_is_shown_back_escaped_never_as_html(alice_client: Client) -> None:
    response = alice_client.post(
        reverse("records:section_add", args=["maladies"]),
        post_data("condition", label="<script>alert(1)</script>"),
    )

    assertContains(response, MARKUP)
    assertNotContains(response, "<script>alert(1)</script>")
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


def test_every_mistake_of_a_submission_is_reported_at_once(alice_client: Client) -> None:
    """GIVEN a weight of 2000 kg, dated tomorrow, with markup in the remark
    WHEN alice submits it
    THEN the three fields each carry their own message (not only the first found).
    """
    response = alice_client.post(
        reverse("records:section_add", args=["mesures"]),
        post_data("measure", value="2000", measured_at="2024-06-02T08:00", notes="<i>x</i>"),
    )

    errors = response.context["form"].errors
    assert errors["measured_at"] == [FUTURE]
    assert errors["notes"] == [MARKUP]
    assert errors["value"][0].startswith("Valeur non plausible pour la mesure « poids »")
    assert Measure.objects.count() == 0


def test_a_measure_taken_a_minute_ago_is_not_in_the_future(alice_client: Client) -> None:
    response = alice_client.post(
        reverse("records:section_add", args=["mesures"]),
        post_data("measure", measured_at="2024-06-01T09:59"),
    )

    assert response.status_code == 302
    assert Measure.objects.count() == 1


def test_icd10_code_is_stored_upper_case(alice_client: Client) -> None:
    alice_client.post(
        reverse("records:section_add", args=["maladies"]),
        post_data("condition", icd10_code=" e11.9 "),
    )

    assert Condition.objects.get().icd10_code == "E11.9"


# --- The service layer applies the same rules, whoever calls it. ---

SERVICE_BAD_INPUTS: list[tuple[type[Entry], dict[str, Any], str, str]] = [
    (
        Measure,
        {"kind": "weight", "value": Decimal(2000), "measured_at": dt.datetime(2024, 5, 1, 8, 0)},
        "value",
        "Valeur non plausible pour la mesure « poids » : elle doit être comprise entre 0,3 et 400 kg.",
    ),
    (
        Measure,
        {"kind": "heart_rate", "value": Decimal(0), "measured_at": dt.datetime(2024, 5, 1, 8)},
        "value",
        "Valeur non plausible pour la mesure « fréquence cardiaque » : elle doit être comprise entre 20 et 250 bpm.",
    ),
    (
        Measure,
        {
            "kind": "blood_pressure",
            "value": Decimal(110),
            "value2": Decimal(110),
            "measured_at": dt.datetime(2024, 5, 1, 8),
        },
        "value2",
        "La tension diastolique doit être inférieure à la tension systolique.",
    ),
    (
        Measure,
        {"kind": "blood_pressure", "value": Decimal(120), "measured_at": dt.datetime(2024, 5, 1)},
        "value2",
        "Indiquez aussi la tension diastolique (le chiffre du bas).",
    ),
    (
        Hospitalisation,
        {"place": "CHU", "reason": "Chute", "admission_date": dt.date(2024, 6, 2)},
        "admission_date",
        FUTURE,
    ),
    (Vaccination, {"vaccine": "ROR", "date": dt.date(2025, 1, 1)}, "date", FUTURE),
    (
        Condition,
        {"label": "x" * 5000},
        "label",
        "Assurez-vous que cette valeur comporte au plus 200 caractères (actuellement 5000).",
    ),
    (
        Treatment,
        {"medicine": "Doliprane", "notes": "x" * 5000},
        "notes",
        "Ce texte est trop long : 2000 caractères au maximum (actuellement 5000).",
    ),
    (Condition, {"label": "<script>alert(1)</script>"}, "label", MARKUP),
    (Condition, {"label": "Asthme", "notes": "<b>x</b>"}, "notes", MARKUP),
    (Condition, {"label": "Asthme", "icd10_code": "123"}, "icd10_code", ICD10),
    (
        Habit,
        {"kind": "alcohol", "description": "Vin", "quantity": Decimal(500)},
        "quantity",
        "Quantité non plausible : entre 0 et 200 verres/semaine.",
    ),
    (
        Habit,
        {"kind": "tobacco", "description": "Tabac", "quantity": Decimal(-1)},
        "quantity",
        "Quantité non plausible : entre 0 et 100 cigarettes/jour.",
    ),
    (
        FamilyHistory,
        {"relative": "father", "condition": "Infarctus", "age_at_onset": 150},
        "age_at_onset",
        "Âge non plausible : il doit être compris entre 0 et 120 ans.",
    ),
]


@pytest.mark.parametrize(
    "case", SERVICE_BAD_INPUTS, ids=lambda c: f"{c[0].__name__}-{c[2]}-{str(c[3])[:20]}"
)
def test_entry_create_refuses_bad_data_and_stores_nothing(
    alice_access: RecordAccess, case: tuple[type[Entry], dict[str, Any], str, str]
) -> None:
    model, data, field, message = case
    data = {k: make_aware(v) if isinstance(v, dt.datetime) else v for k, v in data.items()}
    before = _counts()

    with pytest.raises(ValidationError) as caught:
        services.entry_create(access=alice_access, model=model, data=data)

    assert caught.value.message_dict[field] == [message]
    assert _counts() == before


def test_entry_update_refuses_bad_data_and_keeps_the_stored_row(
    alice_access: RecordAccess, alice: Patient
) -> None:
    entry = services.entry_create(
        access=alice_access, model=Condition, data={"label": "Asthme", "icd10_code": "J45"}
    )

    with pytest.raises(ValidationError) as caught:
        services.entry_update(access=alice_access, entry=entry, data={"icd10_code": "nope"})

    assert caught.value.message_dict == {"icd10_code": [ICD10]}
    stored = Condition.objects.get(pk=entry.pk)
    assert stored.icd10_code == "J45"
    assert TimelineEvent.objects.get(kind="condition", source_id=entry.pk).title == "Asthme (J45)"


@pytest.mark.parametrize(
    "field", ["patient", "author", "author_kind", "deleted_at", "deleted_by", "created_at"]
)
def test_services_refuse_to_set_ownership_or_trace_fields(
    alice_access: RecordAccess, field: str, entry_for: Callable[..., Entry], alice: Patient
) -> None:
    """Who owns and wrote an entry is set by the services, never taken from the data:
    an edit cannot move an entry to another patient nor rewrite its trace."""
    entry = entry_for(alice, Condition, label="Asthme")

    with pytest.raises(TypeError):
        services.entry_create(
            access=alice_access, model=Condition, data={"label": "X", field: None}
        )
    with pytest.raises(TypeError):
        services.entry_update(access=alice_access, entry=entry, data={field: None})

    assert Condition.objects.count() == 1


# --- Identity: the NIR of a new patient. ---

VALID_IDENTITY = {
    "birth_names": "LEROY",
    "given_names": "Emma",
    "birth_date": dt.date(1984, 5, 12),
    "sex": "F",
}


def _nir(body: str) -> str:
    return f"{body}{97 - int(body.replace('2A', '19').replace('2B', '18')) % 97:02d}"


@pytest.mark.parametrize(
    ("nir", "message"),
    [
        (
            "2840575123456" + "00",
            "Ce numéro de sécurité sociale (INS) n’est pas valide : vérifiez les chiffres et la clé.",
        ),
        (
            "28405751234",
            "Le numéro de sécurité sociale (INS) doit comporter 15 caractères, clé comprise.",
        ),
        (
            "ABCDEFGHIJKLMNO",
            "Ce numéro de sécurité sociale (INS) n’est pas valide : vérifiez les chiffres et la clé.",
        ),
    ],
)
@pytest.mark.django_db
def test_patient_create_refuses_an_invalid_nir_and_stores_nothing(nir: str, message: str) -> None:
    before = (Patient.objects.count(), Record.objects.count(), RecordTransition.objects.count())

    with pytest.raises(ValidationError) as caught:
        services.patient_create(data={**VALID_IDENTITY, "nir": nir})

    assert message in caught.value.message_dict["nir"]
    after = (Patient.objects.count(), Record.objects.count(), RecordTransition.objects.count())
    assert after == before


@pytest.mark.django_db
def test_patient_create_stores_a_nir_typed_with_spaces_compact() -> None:
    nir = _nir("2840575123456")
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"

    patient = services.patient_create(data={**VALID_IDENTITY, "nir": spaced})

    assert Patient.objects.get(pk=patient.pk).nir == nir


@pytest.mark.django_db
def test_patient_create_accepts_a_corsican_nir_typed_in_lower_case() -> None:
    nir = _nir("284052A123456")

    patient = services.patient_create(data={**VALID_IDENTITY, "nir": nir.lower()})

    assert Patient.objects.get(pk=patient.pk).nir == nir
