"""The patient's privacy page: its links, the designated GP, care relationships,
emergency access, and the POST-only, CSRF-protected changes.

Shares and blocks are in ``test_privacy_shares_blocks.py``, hidden items in
``test_privacy_hidden_items.py``, the access history in ``test_privacy_history.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consent.models import Block, CareRelationship, ConsentSettings, DesignatedGP, Share
from messpace.accounts.models import Professional
from records.models import Patient
from tests.consent.privacy import (
    HISTORY,
    PRIVACY,
    UNKNOWN_RPPS,
    Login,
    assert_unknown_rpps_refused,
    client_for,
    hide_url,
    make_condition,
)
from tests.factories import CareRelationshipFactory, PatientUserFactory, ProfessionalFactory

# --- The page and its links ---


def test_privacy_url_resolves_before_the_record_sections(alice_client: Client) -> None:
    assert reverse("consent:privacy") == PRIVACY
    assert reverse("consent:history") == HISTORY

    response = alice_client.get(PRIVACY)

    assertContains(response, "Confidentialité : qui voit mon dossier")
    assertContains(response, "Mon médecin traitant")
    assertContains(response, "Les professionnels qui me suivent")
    assertContains(response, "Mes partages")
    assertContains(response, "Professionnels bloqués")
    assertContains(response, "Refuser l’accès en urgence")


def test_patient_side_menu_links_to_privacy_and_history(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:dashboard"))

    assertContains(response, f'href="{PRIVACY}"')
    assertContains(response, f'href="{HISTORY}"')


def test_professional_side_menu_has_no_privacy_links(
    bob_client: Client, alice: Patient, bob: Professional
) -> None:
    response = bob_client.get(reverse("pro:dashboard", args=[alice.pk]))

    assert response.status_code == 200
    assertNotContains(response, PRIVACY)
    assertNotContains(response, "Historique des accès")


def test_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get(PRIVACY)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_professional_without_a_record_gets_404_on_privacy_pages(
    bob_client: Client, alice: Patient
) -> None:
    assert bob_client.get(PRIVACY).status_code == 404
    assert bob_client.get(HISTORY).status_code == 404


# --- Designated GP ---


def test_patient_designates_a_gp_by_rpps(
    alice_client: Client, alice: Patient, dave: Professional
) -> None:
    response = alice_client.post(reverse("consent:gp_set"), {"gp-rpps": dave.rpps})

    assertRedirects(response, f"{PRIVACY}#medecin-traitant", fetch_redirect_response=False)
    assert DesignatedGP.objects.get(patient=alice).professional == dave
    page = alice_client.get(PRIVACY)
    assertContains(page, "Votre médecin traitant a été enregistré.")
    assertContains(page, dave.display_name)
    assertContains(page, "Retirer mon médecin traitant")


def test_rpps_typed_with_spaces_is_accepted(
    alice_client: Client, alice: Patient, dave: Professional
) -> None:
    spaced = f"{dave.rpps[:3]} {dave.rpps[3:7]} {dave.rpps[7:]}"

    alice_client.post(reverse("consent:gp_set"), {"gp-rpps": spaced})

    assert DesignatedGP.objects.get(patient=alice).professional == dave


def test_unknown_rpps_is_refused_and_nothing_stored(alice_client: Client, alice: Patient) -> None:
    response = alice_client.post(reverse("consent:gp_set"), {"gp-rpps": UNKNOWN_RPPS})

    assert_unknown_rpps_refused(response)
    assert not DesignatedGP.objects.filter(patient=alice).exists()


@pytest.mark.parametrize(
    ("rpps", "message"),
    [
        ("1234", "Le numéro RPPS doit comporter exactement 11 chiffres."),
        ("10000000000", "Ce numéro RPPS n’est pas valide : sa clé de contrôle ne correspond pas."),
        (
            "",
            "Recherchez le professionnel et choisissez-le parmi les résultats, "
            "ou saisissez son numéro RPPS.",
        ),
    ],
)
def test_malformed_rpps_is_refused_with_its_reason(
    alice_client: Client, alice: Patient, rpps: str, message: str
) -> None:
    response = alice_client.post(reverse("consent:gp_set"), {"gp-rpps": rpps})

    assertContains(response, message)
    assert not DesignatedGP.objects.filter(patient=alice).exists()


def test_pharmacist_cannot_be_designated_gp(
    alice_client: Client, alice: Patient, pharmacist: Professional
) -> None:
    response = alice_client.post(reverse("consent:gp_set"), {"gp-rpps": pharmacist.rpps})

    assertContains(response, "Seul un médecin peut être désigné comme médecin traitant.")
    assert not DesignatedGP.objects.filter(patient=alice).exists()


def test_patient_changes_gp(
    alice_client: Client, alice: Patient, bob: Professional, dave: Professional
) -> None:
    DesignatedGP.objects.create(patient=alice, professional=bob)

    alice_client.post(reverse("consent:gp_set"), {"gp-rpps": dave.rpps})

    assert DesignatedGP.objects.get(patient=alice).professional == dave


def test_removing_the_gp_asks_for_confirmation_first(
    alice_client: Client, alice: Patient, dave: Professional
) -> None:
    DesignatedGP.objects.create(patient=alice, professional=dave)

    confirmation = alice_client.get(reverse("consent:gp_clear"))

    assertContains(confirmation, "Retirer votre médecin traitant ?")
    assertContains(confirmation, dave.display_name)
    assertContains(confirmation, 'method="post"')
    assert DesignatedGP.objects.filter(patient=alice).exists()

    response = alice_client.post(reverse("consent:gp_clear"))

    assertRedirects(response, f"{PRIVACY}#medecin-traitant", fetch_redirect_response=False)
    assert not DesignatedGP.objects.filter(patient=alice).exists()
    assertContains(alice_client.get(PRIVACY), "Vous n’avez pas déclaré de médecin traitant.")


# --- Care relationships ---


def test_care_relationships_are_listed_with_profession_and_date(
    alice_client: Client, bob: Professional
) -> None:
    response = alice_client.get(PRIVACY)

    assertContains(response, bob.display_name)
    assertContains(response, "Médecin généraliste")
    assertContains(response, timezone.localdate().strftime("%d/%m/%Y"))
    relationship = CareRelationship.objects.get(professional=bob)
    assertContains(response, reverse("consent:care_end", args=[relationship.pk]))


def test_patient_ends_a_care_relationship_after_confirming(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    relationship = CareRelationship.objects.get(professional=bob, patient=alice)
    url = reverse("consent:care_end", args=[relationship.pk])

    confirmation = alice_client.get(url)
    assertContains(confirmation, "Mettre fin à cette relation de soins ?")
    relationship.refresh_from_db()
    assert relationship.ended_at is None

    response = alice_client.post(url)

    assertRedirects(response, f"{PRIVACY}#relations-de-soins", fetch_redirect_response=False)
    relationship.refresh_from_db()
    assert relationship.ended_at is not None
    bob_client = client_for(login, bob.user)
    assert bob_client.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 404


def test_ending_another_patients_care_relationship_answers_404(
    alice_client: Client, charlie: Professional
) -> None:
    other = CareRelationshipFactory(professional=charlie, patient=PatientUserFactory())
    url = reverse("consent:care_end", args=[other.pk])

    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.ended_at is None


# --- Emergency access ---


def test_privacy_page_explains_emergency_access(alice_client: Client) -> None:
    response = alice_client.get(PRIVACY)

    assertContains(response, "médecin urgentiste")
    assertContains(response, "24 heures")
    assertContains(response, "vous en êtes averti")


def test_patient_refuses_then_accepts_emergency_access(
    alice_client: Client, alice: Patient
) -> None:
    alice_client.post(reverse("consent:emergency"), {"refuses": "on"})

    assert ConsentSettings.objects.get(patient=alice).refuses_emergency_access
    page = alice_client.get(PRIVACY)
    assertContains(page, "L’accès en urgence à votre dossier est désormais refusé.")
    assertContains(page, 'id="emergency-refuses" name="refuses" aria-describedby')
    assertContains(page, "checked")

    alice_client.post(reverse("consent:emergency"), {})

    assert not ConsentSettings.objects.get(patient=alice).refuses_emergency_access


# --- Destructive actions are POST only and CSRF-protected ---


@pytest.mark.parametrize("name", ["gp_set", "share_grant", "block_add", "emergency"])
def test_change_endpoints_refuse_get(alice_client: Client, name: str) -> None:
    assert alice_client.get(reverse(f"consent:{name}")).status_code == 405


def test_post_without_csrf_token_is_refused_and_changes_nothing(
    alice: Patient, bob: Professional, login: Login
) -> None:
    assert alice.user is not None
    client = login(Client(enforce_csrf_checks=True), alice.user)
    relationship = CareRelationship.objects.get(professional=bob)
    entry = make_condition(alice)

    assert client.post(reverse("consent:care_end", args=[relationship.pk])).status_code == 403
    assert client.post(hide_url(entry), {"hidden": "1"}).status_code == 403
    assert client.post(reverse("consent:block_add"), {"block-rpps": bob.rpps}).status_code == 403

    relationship.refresh_from_db()
    entry.refresh_from_db()
    assert relationship.ended_at is None
    assert not entry.hidden_from_professionals
    assert not Block.objects.exists()


# --- Query counts do not grow with the data ---


def test_privacy_page_query_count_does_not_grow_with_grants(
    alice_client: Client,
    alice: Patient,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    pros = ProfessionalFactory.create_batch(6)
    DesignatedGP.objects.create(patient=alice, professional=pros[0])
    for pro in pros[1:3]:
        CareRelationshipFactory(patient=alice, professional=pro)
    for pro in pros[3:5]:
        Share.objects.create(patient=alice, professional=pro, section="treatment")
        Share.objects.create(patient=alice, professional=pro, section="allergy")
    Block.objects.create(patient=alice, professional=pros[5])

    with django_assert_max_num_queries(15):  # 14, and the unread messages badge
        response = alice_client.get(PRIVACY)

    assert len(response.context["share_groups"]) == 2
