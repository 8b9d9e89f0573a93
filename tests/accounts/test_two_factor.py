"""Two-factor management from the security page: enrol, backup codes, disable."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from messpace.accounts import services
from messpace.accounts.models import Professional, User
from tests.accounts.conftest import totp_token, wrong_token

pytestmark = pytest.mark.django_db

ENROL = "/compte/securite/deux-etapes/"


def test_patient_is_offered_two_factor_on_the_security_page(alice_client: Client) -> None:
    html = alice_client.get(reverse("accounts:security")).content.decode()

    assert "Activer la validation en deux étapes" in html
    assert ENROL in html


def test_enrolment_page_shows_an_inline_qr_code_and_the_key(alice_client: Client) -> None:
    response = alice_client.get(reverse("accounts:enrol"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert "<img" not in html.split('class="ms-qr"')[1].split("</div>")[0]
    assert response.context["secret"] in html


def test_patient_enrols_and_sees_backup_codes_once(
    alice_client: Client, alice_user: User, frozen: time_machine.Coordinates
) -> None:
    alice_client.get(reverse("accounts:enrol"))
    device = TOTPDevice.objects.get(user=alice_user, confirmed=False)

    response = alice_client.post(reverse("accounts:enrol"), {"token": totp_token(device)})

    assert response.url == reverse("accounts:backup_codes")
    device.refresh_from_db()
    assert device.confirmed
    first = alice_client.get(reverse("accounts:backup_codes"))
    assert len(first.context["codes"]) == services.BACKUP_CODE_COUNT
    assert "La validation en deux étapes est activée." in first.content.decode()
    again = alice_client.get(reverse("accounts:backup_codes"))
    assert again.context["codes"] is None
    assert "Vos codes de secours ont déjà été affichés." in again.content.decode()
    assert services.user_has_two_factor(alice_user)


def test_enrolment_with_a_wrong_code_is_refused_in_french(
    alice_client: Client, alice_user: User, frozen: time_machine.Coordinates
) -> None:
    alice_client.get(reverse("accounts:enrol"))
    device = TOTPDevice.objects.get(user=alice_user, confirmed=False)

    response = alice_client.post(reverse("accounts:enrol"), {"token": wrong_token(device)})

    assert response.status_code == 200
    assert "Ce code n’est pas valide ou a expiré" in response.content.decode()
    assert not services.user_has_two_factor(alice_user)


def test_new_authenticator_replaces_the_old_one(
    bob_client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    bob_client.get(reverse("accounts:enrol"))
    new = TOTPDevice.objects.get(user=bob.user, confirmed=False)

    bob_client.post(reverse("accounts:enrol"), {"token": totp_token(new)})

    assert list(TOTPDevice.objects.filter(user=bob.user)) == [new]
    assert bob_client.get(reverse("accounts:security")).status_code == 200


def test_security_page_counts_the_backup_codes_left(
    bob_client: Client, bob_totp: TOTPDevice, bob_backup_codes: list[str]
) -> None:
    html = bob_client.get(reverse("accounts:security")).content.decode()

    assert "Il vous reste 2 codes de secours." in html


def test_verified_user_regenerates_backup_codes_and_the_old_ones_stop_working(
    bob_client: Client, bob: Professional, bob_totp: TOTPDevice, bob_backup_codes: list[str]
) -> None:
    response = bob_client.post(reverse("accounts:backup_codes"))

    assert response.url == reverse("accounts:backup_codes")
    codes = bob_client.get(reverse("accounts:backup_codes")).context["codes"]
    stored = set(
        StaticToken.objects.filter(
            device__user=bob.user, device__name=services.BACKUP_DEVICE_NAME
        ).values_list("token", flat=True)
    )
    assert stored == set(codes)
    assert not stored & set(bob_backup_codes)


def test_unverified_session_cannot_regenerate_backup_codes(
    alice_client: Client, alice_user: User
) -> None:
    response = alice_client.post(reverse("accounts:backup_codes"))

    assert response.url == reverse("accounts:security")
    assert not StaticToken.objects.filter(device__user=alice_user).exists()


def test_patient_can_turn_two_factor_off(alice_client: Client, alice_user: User) -> None:
    TOTPDevice.objects.create(user=alice_user, name="application", confirmed=True)
    services.backup_codes_regenerate(user=alice_user)

    response = alice_client.post(reverse("accounts:disable"), follow=True)

    assert "La validation en deux étapes est désactivée." in response.content.decode()
    assert not services.user_has_two_factor(alice_user)


def test_professional_cannot_turn_two_factor_off(
    bob_client: Client, bob: Professional, bob_totp: TOTPDevice
) -> None:
    response = bob_client.post(reverse("accounts:disable"), follow=True)

    assert (
        "La validation en deux étapes est obligatoire pour votre compte."
        in response.content.decode()
    )
    assert TOTPDevice.objects.filter(pk=bob_totp.pk).exists()


def test_professional_is_not_offered_to_turn_two_factor_off(
    bob_client: Client, bob_totp: TOTPDevice
) -> None:
    html = bob_client.get(reverse("accounts:security")).content.decode()

    assert reverse("accounts:disable") not in html


def test_turning_two_factor_off_needs_a_post(alice_client: Client, alice_user: User) -> None:
    TOTPDevice.objects.create(user=alice_user, name="application", confirmed=True)

    assert alice_client.get(reverse("accounts:disable")).status_code == 405
    assert services.user_has_two_factor(alice_user)


def test_two_factor_disable_service_refuses_mandatory_roles(bob: Professional) -> None:
    with pytest.raises(PermissionError):
        services.two_factor_disable(user=bob.user)


def test_two_factor_verify_spends_a_backup_code(
    bob: Professional, bob_backup_codes: list[str]
) -> None:
    device = services.two_factor_verify(user=bob.user, token=f" {bob_backup_codes[0].upper()} ")

    assert device is not None
    assert services.two_factor_verify(user=bob.user, token=bob_backup_codes[0]) is None
