"""The patient's privacy page: sharing the record with a professional, and blocking one."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from consent.models import Block, DesignatedGP, Share
from messpace.accounts.models import Professional
from records.models import Patient
from tests.consent.privacy import (
    PRIVACY,
    UNKNOWN_RPPS,
    Login,
    assert_unknown_rpps_refused,
    client_for,
)
from tests.factories import PatientUserFactory

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
    charlie_client = client_for(login, charlie.user)
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
    bob_client = client_for(login, bob.user)
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
