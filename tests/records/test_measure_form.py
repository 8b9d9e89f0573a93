"""The measure form reads what people type ("13/8", "85,4 kg") and refuses the rest in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from records.forms import MeasureForm
from records.measure_input import read_measure
from records.models import Condition, Entry, Measure, Patient
from tests.records.sample import post_data

ADD = reverse("records:section_add", args=["mesures"])


@pytest.mark.parametrize(
    ("kind", "typed", "value", "value2", "understood"),
    [
        ("blood_pressure", "13/8", "130", "80", "130/80 mmHg"),
        ("blood_pressure", "12,5/7,5", "125", "75", "125/75 mmHg"),
        ("blood_pressure", "130/80", "130", "80", ""),
        ("blood_pressure", " 135 / 85 mmHg ", "135", "85", ""),
        ("weight", "85,4", "85.4", None, ""),
        ("weight", "85.4 kg", "85.4", None, ""),
        ("temperature", "37,8 °C", "37.8", None, ""),
        ("temperature", "37,8°", "37.8", None, ""),
        ("temperature", "37,8 C", "37.8", None, ""),
        ("blood_glucose", "0,95 g/L", "0.95", None, ""),
    ],
)
def test_what_people_type_is_read_as_they_mean_it(
    kind: str, typed: str, value: str, value2: str | None, understood: str
) -> None:
    reading = read_measure(typed, kind)

    assert reading.value == Decimal(value)
    assert reading.value2 == (Decimal(value2) if value2 else None)
    assert reading.understood_as == understood


@pytest.mark.parametrize(
    ("kind", "typed", "message"),
    [
        ("weight", "13/8", "réservée à la tension artérielle"),
        ("blood_pressure", "130/8", "dans la même unité"),
        ("blood_pressure", "13/80", "dans la même unité"),
        ("blood_pressure", "cent trente", "par exemple 130/80 ou 13/8"),
        ("weight", "soixante", "Indiquez un nombre en kg, par exemple 72,5."),
    ],
)
def test_what_cannot_be_read_is_said_in_words(kind: str, typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_measure(typed, kind)

    assert message in caught.value.messages[0]


def _pressure(**changes: str) -> dict[str, str]:
    return post_data("measure", kind="blood_pressure", **changes)


@pytest.mark.django_db
def test_a_patient_who_types_13_8_is_told_plainly_what_was_stored(
    alice_client: Client, alice: Patient
) -> None:
    response = alice_client.post(ADD, _pressure(value="13/8", value2=""), follow=True)

    measure = Measure.objects.get(patient=alice)
    assert (measure.value, measure.value2) == (Decimal(130), Decimal(80))
    assertContains(response, "« Tension artérielle : 130/80 mmHg » a été ajouté à votre dossier.")
    assertContains(response, "Vous avez écrit la tension en centimètres de mercure (13/8)")
    assertContains(response, 'id="added-notice" role="status" tabindex="-1" autofocus')


@pytest.mark.django_db
def test_a_pressure_in_two_fields_in_cmhg_is_read_too(alice_client: Client, alice: Patient) -> None:
    alice_client.post(ADD, _pressure(value="12", value2="7"))

    measure = Measure.objects.get(patient=alice)
    assert (measure.value, measure.value2) == (Decimal(120), Decimal(70))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(
            {"value": "130/80", "value2": "70"}, "value2", "indiquée deux fois", id="twice"
        ),
        pytest.param(
            {"value": "130", "value2": ""}, "value2", "le chiffre du bas", id="no-diastolic"
        ),
        pytest.param({"value": "80/130"}, "value2", "inférieure à la tension", id="upside-down"),
        pytest.param({"value": "300/80"}, "value", "entre 50 et 260", id="implausible"),
    ],
)
@pytest.mark.django_db
def test_a_wrong_pressure_is_refused_in_words_and_nothing_is_stored(
    alice_client: Client, changes: dict[str, str], field: str, message: str
) -> None:
    response = alice_client.post(ADD, _pressure(**changes))

    assert response.status_code == 200
    errors = [str(m) for m in response.context["form"].errors.get(field, [])]
    assert any(message in m for m in errors), response.context["form"].errors
    assert not Measure.objects.exists()


@pytest.mark.django_db
def test_without_javascript_the_form_lists_every_unit_and_range(alice_client: Client) -> None:
    page = alice_client.get(ADD)

    assertContains(page, "Poids : En kg, entre 0,3 et 400 ; par exemple 72,5.")
    assertContains(page, "Température : En °C, entre 30 et 44")
    assertContains(page, "par exemple 130/80 (en mmHg) ou 13/8")
    # ... and the options carry what the script shows for the chosen kind alone.
    assertContains(page, 'data-unit="kg"')
    assertContains(page, "measure-form.js")


@pytest.mark.django_db
def test_editing_a_measure_shows_its_value_in_french(
    alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    measure = entry_for(
        alice, Measure, kind="weight", value=Decimal("70.5"), measured_at=timezone.now()
    )

    form = MeasureForm(instance=measure)

    assert form["value"].value() == "70,5"


# --- Duplicates ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_entry_sent_again_asks_for_confirmation_and_stores_nothing(
    alice_client: Client, alice: Patient
) -> None:
    add = reverse("records:section_add", args=["maladies"])
    alice_client.post(add, post_data("condition"))

    again = alice_client.post(add, post_data("condition", label="  asthme "))

    assert again.status_code == 200
    assertContains(again, "Cet élément figure déjà dans le dossier")
    assertContains(again, 'name="duplicate_confirmed" value="1"')
    assert Condition.objects.filter(patient=alice).count() == 1


@pytest.mark.django_db
def test_a_confirmed_duplicate_is_stored(alice_client: Client, alice: Patient) -> None:
    add = reverse("records:section_add", args=["maladies"])
    alice_client.post(add, post_data("condition"))

    alice_client.post(add, {**post_data("condition"), "duplicate_confirmed": "1"})

    assert Condition.objects.filter(patient=alice).count() == 2


@pytest.mark.django_db
def test_another_date_is_not_a_duplicate(alice_client: Client, alice: Patient) -> None:
    add = reverse("records:section_add", args=["maladies"])
    alice_client.post(add, post_data("condition"))

    alice_client.post(add, post_data("condition", start_date="2001-02-03"))

    assert Condition.objects.filter(patient=alice).count() == 2


@pytest.mark.django_db
def test_a_duplicate_the_professional_cannot_see_is_not_revealed(
    bob_client: Client, alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    """Alice hid her asthma from professionals: Bob adding it learns nothing of hers."""
    entry_for(
        alice,
        Condition,
        label="Asthme",
        icd10_code="J45.0",
        start_date=dt.date(2010, 5, 1),
        hidden_from_professionals=True,
    )
    add = reverse("pro:section_add", args=[alice.pk, "maladies"])

    response = bob_client.post(add, post_data("condition", start_date="2010-05-01"))

    assert response.status_code == 302
    assertNotContains(bob_client.get(response.url), "figure déjà")
    assert Condition.objects.filter(patient=alice).count() == 2
