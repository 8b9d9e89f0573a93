"""The patient's profile: identity read-only, contact details editable and validated."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from records.models import Patient

pytestmark = pytest.mark.django_db

URL = "records:profile"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "address_line1": "12 rue des Lilas",
        "address_line2": "",
        "postcode": "69003",
        "city": "Lyon",
        "email": "alice.nouvelle@exemple.fr",
        "phone": "06 12 34 56 78",
    }
    data.update(overrides)
    return data


def test_profile_shows_identity_from_the_ins(alice_client: Client, alice: Patient) -> None:
    response = alice_client.get(reverse(URL))

    assert response.status_code == 200
    assert alice.nir_display in response.content.decode()
    assert "MARTIN" in response.content.decode()


def test_patient_updates_contact_details_and_phone_is_stored_e164(
    alice_client: Client, alice: Patient
) -> None:
    response = alice_client.post(reverse(URL), _form())

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.city == "Lyon"
    assert alice.phone == "+33612345678"
    assert alice.email == "alice.nouvelle@exemple.fr"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12", "Ce numéro de téléphone n’est pas valide."),
        ("postcode", "6900", "Le code postal doit comporter 5 chiffres."),
        ("city", "<script>alert(1)</script>", "Les balises HTML ou le code ne sont pas acceptés"),
        ("email", "pas-une-adresse", "Saisissez une adresse e-mail valide."),
    ],
)
def test_bad_contact_details_are_refused_and_nothing_changes(
    alice_client: Client, alice: Patient, field: str, value: str, message: str
) -> None:
    before = Patient.objects.values().get(pk=alice.pk)

    response = alice_client.post(reverse(URL), _form(**{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Patient.objects.values().get(pk=alice.pk) == before


def test_identity_fields_cannot_be_changed_through_the_form(
    alice_client: Client, alice: Patient
) -> None:
    nir = alice.nir
    alice_client.post(reverse(URL), {**_form(), "nir": "279035121518989", "birth_names": "X"})

    alice.refresh_from_db()
    assert alice.nir == nir
    assert alice.birth_names == "MARTIN"


def test_professional_without_patient_identity_gets_404(bob_client: Client) -> None:
    assert bob_client.get(reverse(URL)).status_code == 404
