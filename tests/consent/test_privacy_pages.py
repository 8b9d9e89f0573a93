"""The patient's privacy pages: designated GP, care relationships, shares, blocks,
emergency access, hidden items and the access history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consent.models import (
    AccessAction,
    AccessBasis,
    AccessLog,
    Block,
    CareRelationship,
    ConsentSettings,
    DesignatedGP,
    Share,
)
from consent.policy import own_record_access, professional_record_access
from messpace.accounts.models import Professional, User
from records import services as record_services
from records.models import Allergy, Condition, Patient, TimelineEvent
from tests.factories import CareRelationshipFactory, PatientUserFactory, ProfessionalFactory

PRIVACY = "/espace/confidentialite/"
HISTORY = "/espace/confidentialite/historique/"
UNKNOWN_RPPS = "10000000009"  # valid Luhn key, nobody has it
Login = Callable[[Client, User], Client]


def _condition(patient: Patient, label: str = "Asthme") -> Condition:
    assert patient.user is not None
    return record_services.entry_create(
        access=own_record_access(patient.user), model=Condition, data={"label": label}
    )


def _hide_url(entry: Condition, slug: str = "maladies") -> str:
    return reverse("consent:entry_visibility", args=[slug, entry.pk])


def _client_for(login: Login, user: User) -> Client:
    return login(Client(), user)


@pytest.fixture
def dave(db: None) -> Professional:
    """Another general practitioner, free to become alice's designated GP."""
    return ProfessionalFactory(user__first_name="Dave", user__last_name="Leroy")


@pytest.fixture
def pharmacist(db: None) -> Professional:
    return ProfessionalFactory(
        profession="pharmacien", user__first_name="Paula", user__last_name="Morel"
    )


def assert_unknown_rpps_refused(response: Any) -> None:
    assert response.status_code == 200
    assertContains(response, "Aucun professionnel ne correspond à ce numéro RPPS.")


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
        ("", "Ce champ est obligatoire."),
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
    bob_client = _client_for(login, bob.user)
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


# --- Shares ---


def test_patient_shares_the_whole_record(
    alice_client: Client, alice: Patient, charlie: Professional, login: Login
) -> None:
    response = alice_client.post(
        reverse("consent:share_grant"), {"share-rpps": charlie.rpps, "share-scope": "all"}
    )

    assertRedirects(response, f"{PRIVACY}#partages", fetch_redirect_response=False)
    share = Share.objects.get(patient=alice, professional=charlie)
    assert share.section == ""
    assert share.expires_at is None
    page = alice_client.get(PRIVACY)
    assertContains(page, "Tout le dossier")
    assertContains(page, "Sans date de fin")
    charlie_client = _client_for(login, charlie.user)
    assert charlie_client.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 200


def test_patient_shares_chosen_sections_until_a_date(
    alice_client: Client, alice: Patient, pharmacist: Professional
) -> None:
    until = timezone.localdate() + dt.timedelta(days=10)

    alice_client.post(
        reverse("consent:share_grant"),
        {
            "share-rpps": pharmacist.rpps,
            "share-scope": "sections",
            "share-sections": ["treatment", "allergy"],
            "share-until": until.isoformat(),
        },
    )

    shares = Share.objects.filter(patient=alice, professional=pharmacist).order_by("section")
    assert [s.section for s in shares] == ["allergy", "treatment"]
    expiry = timezone.localtime(shares[0].expires_at)
    assert expiry.date() == until + dt.timedelta(days=1)
    assert (expiry.hour, expiry.minute) == (0, 0)
    page = alice_client.get(PRIVACY)
    assertContains(page, pharmacist.display_name)
    assertContains(page, "<li>Traitements</li>", html=True)
    assertContains(page, "<li>Allergies et intolérances</li>", html=True)


def test_share_ending_in_the_past_is_refused(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = alice_client.post(
        reverse("consent:share_grant"),
        {"share-rpps": charlie.rpps, "share-scope": "all", "share-until": yesterday.isoformat()},
    )

    assertContains(response, "La date de fin du partage doit être dans le futur.")
    assert not Share.objects.filter(patient=alice).exists()


def test_share_of_chosen_sections_needs_at_least_one(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    response = alice_client.post(
        reverse("consent:share_grant"), {"share-rpps": charlie.rpps, "share-scope": "sections"}
    )

    assertContains(response, "Choisissez au moins une rubrique à partager.")
    assert not Share.objects.filter(patient=alice).exists()


def test_share_with_unknown_rpps_is_refused(alice_client: Client, alice: Patient) -> None:
    response = alice_client.post(
        reverse("consent:share_grant"), {"share-rpps": UNKNOWN_RPPS, "share-scope": "all"}
    )

    assert_unknown_rpps_refused(response)
    assert not Share.objects.filter(patient=alice).exists()


def test_share_with_a_blocked_professional_is_refused(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    Block.objects.create(patient=alice, professional=charlie)

    response = alice_client.post(
        reverse("consent:share_grant"), {"share-rpps": charlie.rpps, "share-scope": "all"}
    )

    assertContains(
        response,
        "Vous avez bloqué ce professionnel : débloquez-le avant de lui partager votre dossier.",
    )
    assert not Share.objects.filter(patient=alice).exists()


def test_expired_and_revoked_shares_are_not_listed(
    alice_client: Client, alice: Patient, charlie: Professional, dave: Professional
) -> None:
    now = timezone.now()
    Share.objects.create(patient=alice, professional=charlie, expires_at=now - dt.timedelta(1))
    Share.objects.create(patient=alice, professional=dave, revoked_at=now)

    response = alice_client.get(PRIVACY)

    assertContains(response, "Vous n’avez partagé votre dossier avec aucun professionnel.")


def test_patient_revokes_a_share_after_confirming(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    Share.objects.create(patient=alice, professional=charlie, section="treatment")
    Share.objects.create(patient=alice, professional=charlie, section="allergy")
    url = reverse("consent:share_revoke", args=[charlie.pk])

    assertContains(alice_client.get(url), "Révoquer ce partage ?")
    assert Share.objects.filter(patient=alice, revoked_at__isnull=True).count() == 2

    response = alice_client.post(url)

    assertRedirects(response, f"{PRIVACY}#partages", fetch_redirect_response=False)
    assert not Share.objects.filter(patient=alice, revoked_at__isnull=True).exists()


def test_revoking_a_share_alice_never_granted_answers_404(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    other = Share.objects.create(patient=PatientUserFactory(), professional=charlie)
    url = reverse("consent:share_revoke", args=[charlie.pk])

    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


# --- Blocks ---


def test_patient_blocks_a_professional_by_rpps(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    response = alice_client.post(reverse("consent:block_add"), {"block-rpps": bob.rpps})

    assertRedirects(response, f"{PRIVACY}#blocages", fetch_redirect_response=False)
    assert Block.objects.filter(patient=alice, professional=bob).exists()
    page = alice_client.get(PRIVACY)
    assertContains(page, "Ce professionnel est bloqué : il n’a plus accès à votre dossier.")
    assertContains(page, reverse("consent:block_remove", args=[bob.pk]))
    bob_client = _client_for(login, bob.user)
    assert bob_client.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 404


def test_blocking_the_designated_gp_is_refused(
    alice_client: Client, alice: Patient, dave: Professional
) -> None:
    DesignatedGP.objects.create(patient=alice, professional=dave)

    response = alice_client.post(reverse("consent:block_add"), {"block-rpps": dave.rpps})

    assertContains(
        response,
        "Ce médecin est votre médecin traitant : changez de médecin traitant avant de le bloquer.",
    )
    assert not Block.objects.filter(patient=alice).exists()


def test_blocking_an_unknown_rpps_is_refused(alice_client: Client, alice: Patient) -> None:
    response = alice_client.post(reverse("consent:block_add"), {"block-rpps": UNKNOWN_RPPS})

    assert_unknown_rpps_refused(response)
    assert not Block.objects.filter(patient=alice).exists()


def test_patient_unblocks_after_confirming(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    Block.objects.create(patient=alice, professional=charlie)
    url = reverse("consent:block_remove", args=[charlie.pk])

    assertContains(alice_client.get(url), "Débloquer ce professionnel ?")
    assert Block.objects.filter(patient=alice).exists()

    alice_client.post(url)

    assert not Block.objects.filter(patient=alice).exists()


def test_unblocking_someone_else_block_answers_404(
    alice_client: Client, charlie: Professional
) -> None:
    Block.objects.create(patient=PatientUserFactory(), professional=charlie)
    url = reverse("consent:block_remove", args=[charlie.pk])

    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404
    assert Block.objects.count() == 1


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
    entry = _condition(alice)

    assert client.post(reverse("consent:care_end", args=[relationship.pk])).status_code == 403
    assert client.post(_hide_url(entry), {"hidden": "1"}).status_code == 403
    assert client.post(reverse("consent:block_add"), {"block-rpps": bob.rpps}).status_code == 403

    relationship.refresh_from_db()
    entry.refresh_from_db()
    assert relationship.ended_at is None
    assert not entry.hidden_from_professionals
    assert not Block.objects.exists()


# --- Hidden items ---


def test_section_list_offers_to_hide_each_item_with_a_hint(alice_client: Client) -> None:
    response_empty = alice_client.get(reverse("records:section_list", args=["maladies"]))
    assertContains(response_empty, "Qui a consulté cette rubrique ?")

    # An entry makes the table, its button and the explanation appear.
    entry = _condition(Patient.objects.get(user__email="alice@exemple.fr"))
    response = alice_client.get(reverse("records:section_list", args=["maladies"]))

    assertContains(response, "Masquer aux professionnels")
    assertContains(response, _hide_url(entry))
    assertContains(
        response,
        "Il reste visible par le professionnel qui l’a saisi et par votre médecin traitant.",
    )
    assertNotContains(response, ">Masqué<")


def test_patient_hides_then_shows_again_an_item(alice_client: Client, alice: Patient) -> None:
    entry = _condition(alice)
    listing = reverse("records:section_list", args=["maladies"])

    response = alice_client.post(_hide_url(entry), {"hidden": "1"})

    assertRedirects(response, listing, fetch_redirect_response=False)
    entry.refresh_from_db()
    assert entry.hidden_from_professionals
    event = TimelineEvent.objects.get(kind="condition", source_id=entry.pk)
    assert event.hidden_from_professionals
    page = alice_client.get(listing)
    assertContains(page, "« Asthme » est masqué aux professionnels")
    assertContains(page, "Masqué</p>")
    assertContains(page, "Ne plus masquer")

    alice_client.post(_hide_url(entry), {"hidden": "0"})

    entry.refresh_from_db()
    assert not entry.hidden_from_professionals
    assertContains(alice_client.get(listing), "« Asthme » n’est plus masqué aux professionnels.")


def test_hide_button_keeps_the_page(alice_client: Client, alice: Patient) -> None:
    entry = _condition(alice)

    response = alice_client.post(_hide_url(entry), {"hidden": "1", "page": "3"})

    assert response["Location"] == reverse("records:section_list", args=["maladies"]) + "?page=3"


def test_hiding_another_patients_item_answers_404(alice_client: Client) -> None:
    other = _condition(PatientUserFactory(), "Diabète")

    response = alice_client.post(_hide_url(other), {"hidden": "1"})

    assert response.status_code == 404
    other.refresh_from_db()
    assert not other.hidden_from_professionals


def test_hiding_with_a_wrong_section_or_value_changes_nothing(
    alice_client: Client, alice: Patient
) -> None:
    entry = _condition(alice)

    assert alice_client.post(_hide_url(entry, "allergies"), {"hidden": "1"}).status_code == 404
    assert alice_client.post(_hide_url(entry, "inconnue"), {"hidden": "1"}).status_code == 404
    assert alice_client.post(_hide_url(entry), {"hidden": "oui"}).status_code == 400
    assert alice_client.get(_hide_url(entry)).status_code == 405
    entry.refresh_from_db()
    assert not entry.hidden_from_professionals


def test_professional_cannot_use_the_hide_route(
    alice: Patient, bob: Professional, login: Login
) -> None:
    entry = _condition(alice)
    bob_client = _client_for(login, bob.user)

    assert bob_client.post(_hide_url(entry), {"hidden": "1"}).status_code == 404
    entry.refresh_from_db()
    assert not entry.hidden_from_professionals


def test_professional_never_sees_hide_buttons_nor_history_link(
    alice: Patient, bob: Professional, login: Login
) -> None:
    _condition(alice)
    bob_client = _client_for(login, bob.user)

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
    entry = _condition(alice)
    _condition(alice, "Migraine")
    bob_client = _client_for(login, bob.user)
    dave_client = _client_for(login, dave.user)
    bob_url = reverse("pro:section_list", args=[alice.pk, "maladies"])
    assertContains(bob_client.get(bob_url), "Asthme")

    alice_client.post(_hide_url(entry), {"hidden": "1"})

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

    alice_client.post(_hide_url(allergy, "allergies"), {"hidden": "1"})

    bob_client = _client_for(login, bob.user)
    assertContains(
        bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"])), "Latex"
    )


# --- Access history ---


def _log(patient: Patient, actor: Professional, **extra: Any) -> AccessLog:
    values: dict[str, Any] = {
        "actor_label": f"{actor.display_name}, {actor.title}",
        "role": "professional",
        "basis": AccessBasis.CARE_RELATIONSHIP,
        "action": AccessAction.READ,
        "what": "condition",
    }
    values.update(extra)
    return AccessLog.objects.create(patient=patient, actor=actor.user, **values)


def test_history_lists_professional_reads_in_french(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    bob_client = _client_for(login, bob.user)
    bob_client.get(reverse("pro:dashboard", args=[alice.pk]))
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"]))
    bob_client.get(reverse("pro:timeline", args=[alice.pk]))

    response = alice_client.get(HISTORY)

    assertContains(response, "Historique des accès à mon dossier")
    label = f"{bob.display_name}, {bob.title}"
    assert label == "Dr Bob Durand, Médecin généraliste"
    assertContains(response, f"<td>{label}</td>", count=3, html=True)
    assertContains(response, "<td>Relation de soins</td>", count=3, html=True)
    assertContains(response, "<td>Consultation</td>", count=3, html=True)
    assertContains(response, "<td>Vue d’ensemble</td>", html=True)
    assertContains(response, "<td>Allergies et intolérances</td>", html=True)
    assertContains(response, "<td>Histoire de santé</td>", html=True)


def test_history_does_not_log_nor_show_the_patients_own_reads(
    alice_client: Client, alice: Patient
) -> None:
    alice_client.get(reverse("records:dashboard"))
    alice_client.get(reverse("records:section_list", args=["maladies"]))

    response = alice_client.get(HISTORY)

    assert not AccessLog.objects.filter(patient=alice).exists()
    assertContains(response, "Aucun professionnel n’a encore consulté votre dossier.")


def test_history_shows_only_the_patients_own_log(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    _log(PatientUserFactory(), charlie)

    response = alice_client.get(HISTORY)

    assertNotContains(response, charlie.display_name)


def test_history_is_newest_first_and_paginated_by_25(
    alice_client: Client, alice: Patient, bob: Professional
) -> None:
    start = timezone.now() - dt.timedelta(days=30)
    for day in range(30):
        _log(alice, bob, at=start + dt.timedelta(days=day), what=f"note {day:02d}")

    first = alice_client.get(HISTORY)
    second = alice_client.get(HISTORY, {"page": 2})

    assert [row[0].what for row in first.context["rows"]][:2] == ["note 29", "note 28"]
    assert len(first.context["rows"]) == 25
    assert [row[0].what for row in second.context["rows"]] == [
        f"note {d:02d}" for d in range(4, -1, -1)
    ]
    assertContains(first, "30 accès")
    assertContains(first, "Page suivante")


def test_history_filters_by_professional_action_basis_and_dates(
    alice_client: Client, alice: Patient, bob: Professional, charlie: Professional
) -> None:
    now = timezone.now()
    _log(alice, bob, what="treatment", at=now - dt.timedelta(days=40))
    _log(alice, bob, what="allergy", action=AccessAction.WRITE)
    _log(alice, charlie, what="measure", basis=AccessBasis.SHARE)

    def shown(**params: Any) -> list[str]:
        response = alice_client.get(HISTORY, params)
        assert response.status_code == 200
        return sorted(row[0].what for row in response.context["rows"])

    assert shown(actor=bob.user.pk) == ["allergy", "treatment"]
    assert shown(action="write") == ["allergy"]
    assert shown(basis="share") == ["measure"]
    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert shown(date_from=week_ago) == ["allergy", "measure"]
    assert shown(date_to=week_ago) == ["treatment"]
    assert shown(what="allergy") == ["allergy"]


def test_history_filter_with_an_inverted_date_range_is_explained(
    alice_client: Client, alice: Patient, bob: Professional
) -> None:
    _log(alice, bob)

    response = alice_client.get(HISTORY, {"date_from": "2024-06-10", "date_to": "2024-06-01"})

    assertContains(response, "La date de fin doit être postérieure ou égale à la date de début.")
    assert response.context["rows"] == []


def test_section_link_shows_who_consulted_that_section(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    entry = record_services.entry_create(
        access=professional_record_access(bob.user, alice.pk),
        model=Condition,
        data={"label": "Asthme"},
    )
    bob_client = _client_for(login, bob.user)
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "maladies"]))
    bob_client.get(reverse("pro:section_edit", args=[alice.pk, "maladies", entry.pk]))
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"]))
    listing = alice_client.get(reverse("records:section_list", args=["maladies"]))
    link = f"{HISTORY}?what=condition"
    assertContains(listing, link)

    response = alice_client.get(link)

    rows = response.context["rows"]
    # bob's write of the entry, his read of the list and his read of the entry; not allergies.
    assert [(log.action, log.object_id) for log, _label in rows] == [
        (AccessAction.READ, entry.pk),
        (AccessAction.READ, None),
        (AccessAction.WRITE, entry.pk),
    ]
    assert {label for _log, label in rows} == {"Maladies et sujets de santé"}


def test_history_labels_an_emergency_opening_with_its_reason(
    alice_client: Client, alice: Patient
) -> None:
    er = ProfessionalFactory(profession="urgentiste")
    _log(
        alice,
        er,
        basis=AccessBasis.EMERGENCY,
        what="emergency: patient inconscient aux urgences",
    )

    response = alice_client.get(HISTORY)

    assertContains(response, "Accès en urgence")
    assertContains(
        response, "Ouverture du dossier en urgence — motif : patient inconscient aux urgences"
    )


def test_history_page_is_read_only(alice_client: Client) -> None:
    assert alice_client.post(HISTORY).status_code == 405


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

    with django_assert_max_num_queries(14):
        response = alice_client.get(PRIVACY)

    assert len(response.context["share_groups"]) == 2


def test_history_page_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice: Patient,
    bob: Professional,
    charlie: Professional,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for _ in range(20):
        _log(alice, bob)
        _log(alice, charlie, basis=AccessBasis.SHARE)

    with django_assert_max_num_queries(11):
        response = alice_client.get(HISTORY, {"basis": "share"})

    assert len(response.context["rows"]) == 20
