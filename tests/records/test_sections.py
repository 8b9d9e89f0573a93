"""The patient keeps their own record: add, edit and delete entries in every section."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from messpace.accounts.models import Professional
from records.models import SECTION_MODELS, AuthorKind, Condition, Entry, Patient, TimelineEvent
from records.sections import SECTIONS_BY_KEY
from tests.factories import PatientUserFactory
from tests.records.sample import EDITS, FORM_DATA, LISTED, TITLES, post_data

SECTION_KEYS = list(SECTION_MODELS)


def _slug(section: str) -> str:
    return SECTIONS_BY_KEY[section].slug


def _add(client: Client, section: str, **changes: str) -> Entry:
    response = client.post(
        reverse("records:section_add", args=[_slug(section)]), post_data(section, **changes)
    )
    entry = SECTION_MODELS[section].objects.latest("pk")
    listing = reverse("records:section_list", args=[_slug(section)])
    assertRedirects(response, f"{listing}?ajout={entry.pk}")
    return entry


@pytest.mark.parametrize("section", SECTION_KEYS)
def test_patient_adds_an_entry_to_each_section(
    alice_client: Client, alice: Patient, section: str
) -> None:
    model = SECTION_MODELS[section]

    entry = _add(alice_client, section)

    assert model.live.filter(patient=alice).count() == 1
    assert entry.author == alice.user
    assert entry.author_kind == AuthorKind.PATIENT
    assert str(entry) == TITLES[section]
    listing = alice_client.get(reverse("records:section_list", args=[_slug(section)]))
    assertContains(listing, LISTED[section])
    assertContains(listing, "Modifier")


@pytest.mark.parametrize("section", SECTION_KEYS)
def test_patient_edits_their_own_entry(alice_client: Client, section: str) -> None:
    entry = _add(alice_client, section)
    field, posted, stored = EDITS[section]

    response = alice_client.post(
        reverse("records:section_edit", args=[_slug(section), entry.pk]),
        post_data(section, **{field: posted}),
    )

    assertRedirects(response, reverse("records:section_list", args=[_slug(section)]))
    entry.refresh_from_db()
    assert getattr(entry, field) == stored
    assert SECTION_MODELS[section].objects.count() == 1


@pytest.mark.parametrize("section", SECTION_KEYS)
def test_patient_deletes_their_own_entry_softly_with_a_trace(
    alice_client: Client, alice: Patient, section: str, now: object
) -> None:
    """GIVEN an entry alice wrote
    WHEN she confirms its deletion
    THEN the row stays, marked deleted by her at the current time, and it leaves
    the section list, the live entries and the timeline.
    """
    entry = _add(alice_client, section)
    url = reverse("records:section_delete", args=[_slug(section), entry.pk])
    confirm = alice_client.get(url)
    assertContains(confirm, "Supprimer cet élément ?")

    response = alice_client.post(url)

    assertRedirects(response, reverse("records:section_list", args=[_slug(section)]))
    entry.refresh_from_db()
    assert entry.deleted_at == now
    assert entry.deleted_by == alice.user
    assert not SECTION_MODELS[section].live.filter(pk=entry.pk).exists()
    listing = alice_client.get(reverse("records:section_list", args=[_slug(section)]))
    assertContains(listing, SECTIONS_BY_KEY[section].empty_text)
    assert TimelineEvent.objects.get(kind=section, source_id=entry.pk).deleted


def test_deleted_entry_can_no_longer_be_edited_or_deleted(alice_client: Client) -> None:
    entry = _add(alice_client, "condition")
    alice_client.post(reverse("records:section_delete", args=["maladies", entry.pk]))

    edit = alice_client.post(
        reverse("records:section_edit", args=["maladies", entry.pk]), post_data("condition")
    )
    delete = alice_client.post(reverse("records:section_delete", args=["maladies", entry.pk]))

    assert edit.status_code == 404
    assert delete.status_code == 404
    entry.refresh_from_db()
    assert entry.is_deleted
    assert entry.label == "Asthme"


@pytest.mark.parametrize("action", ["section_edit", "section_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_professional_entry_is_read_only_to_the_patient(
    alice_client: Client,
    alice: Patient,
    bob: Professional,
    entry_for: Callable[..., Entry],
    action: str,
    method: str,
) -> None:
    """GIVEN an allergy bob (her GP) wrote in alice's record
    WHEN alice opens or submits its edit or delete page
    THEN she gets a 403 that explains who wrote it, and the entry is unchanged.
    """
    entry = entry_for(
        alice,
        SECTION_MODELS["allergy"],
        author=bob.user,
        author_kind=AuthorKind.PROFESSIONAL,
        substance="Arachide",
    )
    url = reverse(f"records:{action}", args=["allergies", entry.pk])

    response = getattr(alice_client, method)(url, post_data("allergy"))

    assertContains(
        response, "Cet élément a été saisi par un professionnel de santé", status_code=403
    )
    assertContains(response, "adressez-vous à ce professionnel", status_code=403)
    entry.refresh_from_db()
    assert entry.substance == "Arachide"
    assert entry.deleted_at is None


def test_professional_entry_is_listed_for_the_patient_as_read_only(
    alice_client: Client, alice: Patient, bob: Professional, entry_for: Callable[..., Entry]
) -> None:
    entry_for(
        alice,
        SECTION_MODELS["allergy"],
        author=bob.user,
        author_kind=AuthorKind.PROFESSIONAL,
        substance="Arachide",
    )

    response = alice_client.get(reverse("records:section_list", args=["allergies"]))

    assertContains(response, "Arachide")
    assertContains(response, "Dr Bob Durand")
    assertContains(response, "Lecture seule")
    assertNotContains(response, "/modifier/")


@pytest.mark.parametrize("action", ["section_edit", "section_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_patients_entry_answers_404(
    alice_client: Client, entry_for: Callable[..., Entry], action: str, method: str
) -> None:
    dave = PatientUserFactory(given_names="David")
    entry = entry_for(dave, Condition, label="Migraine")

    response = getattr(alice_client, method)(
        reverse(f"records:{action}", args=["maladies", entry.pk]), post_data("condition")
    )

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.label == "Migraine"
    assert entry.deleted_at is None


def test_entry_id_of_another_section_answers_404(
    alice_client: Client, alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    """An id is looked up in the section of the URL only: a condition id under
    "traitements" is not found even though it is alice's own."""
    condition = entry_for(alice, Condition, label="Migraine")

    response = alice_client.get(reverse("records:section_edit", args=["traitements", condition.pk]))

    assert response.status_code == 404


def test_unknown_section_answers_404(alice_client: Client) -> None:
    assert alice_client.get(reverse("records:section_list", args=["inconnue"])).status_code == 404
    assert alice_client.get(reverse("records:section_add", args=["inconnue"])).status_code == 404


def test_visitor_must_log_in_to_see_a_record(client: Client) -> None:
    response = client.get(reverse("records:section_list", args=["maladies"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_empty_submission_shows_errors_and_stores_nothing(alice_client: Client) -> None:
    response = alice_client.post(reverse("records:section_add", args=["maladies"]), {})

    assertContains(response, "Rien n’a été enregistré.")
    assertContains(response, "Ce champ est obligatoire.")
    assert Condition.objects.count() == 0


def test_imported_entry_is_read_only_to_the_patient(
    alice_client: Client, alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    entry = entry_for(alice, Condition, author=None, author_kind=AuthorKind.IMPORT, label="HTA")

    response = alice_client.post(
        reverse("records:section_edit", args=["maladies", entry.pk]), post_data("condition")
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.label == "HTA"


def test_add_form_offers_every_field_of_the_section(alice_client: Client) -> None:
    for section, data in FORM_DATA.items():
        response = alice_client.get(reverse("records:section_add", args=[_slug(section)]))
        for name in data:
            assertContains(response, f'name="{name}"')
