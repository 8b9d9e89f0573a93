"""Hidden items: the patient hides an entry from professionals, except its author
and the designated GP."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consent.models import DesignatedGP
from consent.policy import professional_record_access
from messpace.accounts.models import Professional
from records import services as record_services
from records.models import Allergy, Patient, TimelineEvent
from tests.consent.privacy import Login, client_for, hide_url, make_condition
from tests.factories import PatientUserFactory

# --- Hidden items ---


def test_section_list_offers_to_hide_each_item_with_a_hint(alice_client: Client) -> None:
    response_empty = alice_client.get(reverse("records:section_list", args=["maladies"]))
    assertContains(response_empty, "Qui a consulté cette rubrique ?")

    # An entry makes the table, its button and the explanation appear.
    entry = make_condition(Patient.objects.get(user__email="alice@exemple.fr"))
    response = alice_client.get(reverse("records:section_list", args=["maladies"]))

    assertContains(response, "Masquer aux professionnels")
    assertContains(response, hide_url(entry))
    assertContains(
        response,
        "Il reste visible par le professionnel qui l’a saisi et par votre médecin traitant.",
    )
    assertNotContains(response, ">Masqué<")


def test_patient_hides_then_shows_again_an_item(alice_client: Client, alice: Patient) -> None:
    entry = make_condition(alice)
    listing = reverse("records:section_list", args=["maladies"])

    response = alice_client.post(hide_url(entry), {"hidden": "1"})

    assertRedirects(response, listing, fetch_redirect_response=False)
    entry.refresh_from_db()
    assert entry.hidden_from_professionals
    event = TimelineEvent.objects.get(kind="condition", source_id=entry.pk)
    assert event.hidden_from_professionals
    page = alice_client.get(listing)
    assertContains(page, "« Asthme » est masqué aux professionnels")
    assertContains(page, "Masqué</p>")
    assertContains(page, "Ne plus masquer")

    alice_client.post(hide_url(entry), {"hidden": "0"})

    entry.refresh_from_db()
    assert not entry.hidden_from_professionals
    assertContains(alice_client.get(listing), "« Asthme » n’est plus masqué aux professionnels.")


def test_hide_button_keeps_the_page(alice_client: Client, alice: Patient) -> None:
    entry = make_condition(alice)

    response = alice_client.post(hide_url(entry), {"hidden": "1", "page": "3"})

    assert response["Location"] == reverse("records:section_list", args=["maladies"]) + "?page=3"


def test_hiding_another_patients_item_answers_404(alice_client: Client) -> None:
    other = make_condition(PatientUserFactory(), "Diabète")

    response = alice_client.post(hide_url(other), {"hidden": "1"})

    assert response.status_code == 404
    other.refresh_from_db()
    assert not other.hidden_from_professionals


def test_hiding_with_a_wrong_section_or_value_changes_nothing(
    alice_client: Client, alice: Patient
) -> None:
    entry = make_condition(alice)

    assert alice_client.post(hide_url(entry, "allergies"), {"hidden": "1"}).status_code == 404
    assert alice_client.post(hide_url(entry, "inconnue"), {"hidden": "1"}).status_code == 404
    assert alice_client.post(hide_url(entry), {"hidden": "oui"}).status_code == 400
    assert alice_client.get(hide_url(entry)).status_code == 405
    entry.refresh_from_db()
    assert not entry.hidden_from_professionals


def test_professional_cannot_use_the_hide_route(
    alice: Patient, bob: Professional, login: Login
) -> None:
    entry = make_condition(alice)
    bob_client = client_for(login, bob.user)

    assert bob_client.post(hide_url(entry), {"hidden": "1"}).status_code == 404
    entry.refresh_from_db()
    assert not entry.hidden_from_professionals


def test_professional_never_sees_hide_buttons_nor_history_link(
    alice: Patient, bob: Professional, login: Login
) -> None:
    make_condition(alice)
    bob_client = client_for(login, bob.user)

    response = bob_client.get(reverse("pro:section_list", args=[alice.pk, "maladies"]))

    assertContains(response, "Asthme")
    assertNotContains(response, "Masquer aux professionnels")
    assertNotContains(response, "Qui a consulté cette rubrique ?")


def test_hidden_item_disappears_for_care_team_but_not_for_designated_gp(
    alice_client: Client, alice: Patient, bob: Professional, dave: Professional, login: Login
) -> None:
    """GIVEN bob follows alice (care relationship) and dave is her designated GP
    WHEN alice hides her asthma from the section list
    THEN bob no longer sees it on his pages, while dave still does."""
    DesignatedGP.objects.create(patient=alice, professional=dave)
    entry = make_condition(alice)
    make_condition(alice, "Migraine")
    bob_client = client_for(login, bob.user)
    dave_client = client_for(login, dave.user)
    bob_url = reverse("pro:section_list", args=[alice.pk, "maladies"])
    assertContains(bob_client.get(bob_url), "Asthme")

    alice_client.post(hide_url(entry), {"hidden": "1"})

    bob_page = bob_client.get(bob_url)
    assertNotContains(bob_page, "Asthme")
    assertContains(bob_page, "Migraine")
    assertNotContains(bob_client.get(reverse("pro:timeline", args=[alice.pk])), "Asthme")
    assertContains(
        dave_client.get(reverse("pro:section_list", args=[alice.pk, "maladies"])), "Asthme"
    )


def test_hidden_item_stays_visible_to_its_author(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    assert alice.user is not None
    bob_access = professional_record_access(bob.user, alice.pk)
    allergy = record_services.entry_create(
        access=bob_access, model=Allergy, data={"substance": "Latex", "kind": "allergy"}
    )

    alice_client.post(hide_url(allergy, "allergies"), {"hidden": "1"})

    bob_client = client_for(login, bob.user)
    assertContains(
        bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"])), "Latex"
    )
