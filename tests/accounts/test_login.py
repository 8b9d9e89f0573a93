"""Two-step login: email and password, then a code for those who need one."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from messpace.accounts import services
from messpace.accounts.models import Professional, User
from messpace.accounts.views import PENDING_KEY
from records.models import Patient
from tests.accounts.conftest import (
    code_step,
    logged_in_user_id,
    password_step,
    session_key,
    totp_token,
    wrong_token,
)
from tests.factories import UserFactory

WRONG_CODE_MESSAGE = "Ce code n’est pas valide ou a expiré"
HOME = "/"

pytestmark = pytest.mark.django_db


# --- Professionals: password, then the authenticator ------------------------------------


def test_professional_logs_in_with_password_then_authenticator_code(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    response = password_step(client, "bob@exemple.fr")

    assert response.status_code == 302
    assert response.url == reverse("accounts:login_code")
    assert logged_in_user_id(client) is None

    response = code_step(client, totp_token(bob_totp))

    assert response.status_code == 302
    assert response.url == HOME
    assert logged_in_user_id(client) == bob.user.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == bob_totp.persistent_id


def test_code_page_asks_for_the_code_without_showing_a_qr_code(
    client: Client, bob: Professional, bob_totp: TOTPDevice
) -> None:
    password_step(client, "bob@exemple.fr")

    response = client.get(reverse("accounts:login_code"))

    assert response.status_code == 200
    assert response.context["enrolment"] is None
    assert "<svg" not in response.content.decode()


def test_email_is_matched_whatever_its_case(
    client: Client, bob: Professional, bob_totp: TOTPDevice
) -> None:
    response = password_step(client, "Bob@Exemple.FR")

    assert response.status_code == 302
    assert response.url == reverse("accounts:login_code")


def test_wrong_password_is_refused_in_french(client: Client, bob: Professional) -> None:
    response = password_step(client, "bob@exemple.fr", "pas-le-bon-mot-de-passe")

    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert logged_in_user_id(client) is None
    assert PENDING_KEY not in client.session


def test_wrong_code_is_refused_in_french_and_nobody_is_logged_in(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "bob@exemple.fr")

    response = code_step(client, wrong_token(bob_totp))

    assert response.status_code == 200
    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert logged_in_user_id(client) is None


def test_authenticator_code_cannot_be_replayed(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    """
    GIVEN bob logged in with the code his app shows
    WHEN someone who saw that code replays it in the same 30-second window
    THEN it is refused.
    """
    token = totp_token(bob_totp)
    password_step(client, "bob@exemple.fr")
    code_step(client, token)
    other = Client()
    password_step(other, "bob@exemple.fr")

    response = code_step(other, token)

    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert logged_in_user_id(other) is None


def test_backup_code_logs_in_once_only(
    client: Client,
    bob: Professional,
    bob_totp: TOTPDevice,
    bob_backup_codes: list[str],
    frozen: time_machine.Coordinates,
) -> None:
    code = bob_backup_codes[0]
    password_step(client, "bob@exemple.fr")

    response = code_step(client, code.upper())  # typed in capitals: still accepted

    assert response.status_code == 302
    assert logged_in_user_id(client) == bob.user.pk
    assert not StaticToken.objects.filter(device__user=bob.user, token=code).exists()

    client.post(reverse("accounts:logout"))
    frozen.shift(60)
    password_step(client, "bob@exemple.fr")
    response = code_step(client, code)

    assert response.status_code == 200
    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert logged_in_user_id(client) is None


def test_mistyped_authenticator_code_does_not_hold_back_a_backup_code(
    client: Client,
    bob: Professional,
    bob_totp: TOTPDevice,
    bob_backup_codes: list[str],
    frozen: time_machine.Coordinates,
) -> None:
    """
    GIVEN bob, whose phone shows a code he mistypes
    WHEN he gives up on the app and types a backup code straight away
    THEN the backup code works: a wrong 6-digit code only slows down the
    authenticator, it must not throttle (or burn) the backup codes.
    """
    password_step(client, "bob@exemple.fr")
    code_step(client, wrong_token(bob_totp))

    response = code_step(client, bob_backup_codes[0])

    assert response.status_code == 302
    assert logged_in_user_id(client) == bob.user.pk
    device = StaticDevice.objects.get(user=bob.user, name=services.BACKUP_DEVICE_NAME)
    assert device.throttling_failure_count == 0


def test_backup_code_is_not_tried_against_the_authenticator(
    client: Client,
    bob: Professional,
    bob_totp: TOTPDevice,
    bob_backup_codes: list[str],
    frozen: time_machine.Coordinates,
) -> None:
    password_step(client, "bob@exemple.fr")
    code_step(client, bob_backup_codes[0])

    bob_totp.refresh_from_db()
    assert bob_totp.throttling_failure_count == 0


@pytest.mark.parametrize(
    "flags", [{"is_support_agent": True}, {"is_staff": True}], ids=["agent", "admin"]
)
def test_agents_and_admins_are_asked_for_a_code_too(client: Client, flags: dict[str, bool]) -> None:
    user = UserFactory(email="interne@exemple.fr", **flags)
    TOTPDevice.objects.create(user=user, name=services.TOTP_DEVICE_NAME, confirmed=True)

    response = password_step(client, "interne@exemple.fr")

    assert response.url == reverse("accounts:login_code")
    assert logged_in_user_id(client) is None


# --- Enrolment on first login ------------------------------------------------------------


def test_professional_without_device_must_enrol_before_getting_in(
    client: Client, charlie: Professional, frozen: time_machine.Coordinates
) -> None:
    response = password_step(client, "charlie@exemple.fr")
    assert response.url == reverse("accounts:login_code")

    page = client.get(reverse("accounts:login_code"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "Activez la validation en deux étapes" in html
    assert logged_in_user_id(client) is None
    assert client.get(reverse("accounts:security")).status_code == 302
    device = TOTPDevice.objects.get(user=charlie.user, confirmed=False)

    response = code_step(client, totp_token(device))

    assert response.status_code == 302
    assert response.url == reverse("accounts:backup_codes")
    assert logged_in_user_id(client) == charlie.user.pk
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(reverse("accounts:backup_codes"))
    assert len(codes_page.context["codes"]) == services.BACKUP_CODE_COUNT
    assert StaticToken.objects.filter(device__user=charlie.user).count() == 10


def test_enrolment_page_keeps_the_same_secret_until_confirmed(
    client: Client, charlie: Professional
) -> None:
    password_step(client, "charlie@exemple.fr")

    first = client.get(reverse("accounts:login_code")).context["secret"]
    second = client.get(reverse("accounts:login_code")).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user=charlie.user).count() == 1


def test_enrolment_with_a_wrong_code_keeps_the_professional_out(
    client: Client, charlie: Professional, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "charlie@exemple.fr")
    client.get(reverse("accounts:login_code"))
    device = TOTPDevice.objects.get(user=charlie.user, confirmed=False)

    response = code_step(client, wrong_token(device))

    assert response.status_code == 200
    assert WRONG_CODE_MESSAGE in response.content.decode()
    assert logged_in_user_id(client) is None
    assert not TOTPDevice.objects.filter(user=charlie.user, confirmed=True).exists()


def test_after_enrolment_the_backup_codes_page_leads_on_to_next(
    client: Client, charlie: Professional, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "charlie@exemple.fr", next="/compte/securite/")
    client.get(reverse("accounts:login_code"))
    device = TOTPDevice.objects.get(user=charlie.user, confirmed=False)
    code_step(client, totp_token(device))

    page = client.get(reverse("accounts:backup_codes"))

    assert page.context["next_url"] == "/compte/securite/"


# --- Patients: two-factor offered, not imposed ------------------------------------------


def test_patient_without_two_factor_logs_in_with_password_only(
    client: Client, alice: Patient
) -> None:
    response = password_step(client, "alice@exemple.fr")

    assert response.status_code == 302
    assert response.url == HOME
    assert logged_in_user_id(client) == alice.user.pk  # type: ignore[union-attr]
    assert not TOTPDevice.objects.filter(user=alice.user).exists()


def test_patient_who_enrolled_is_asked_for_a_code(
    client: Client, alice: Patient, frozen: time_machine.Coordinates
) -> None:
    device = TOTPDevice.objects.create(user=alice.user, name="application", confirmed=True)

    response = password_step(client, "alice@exemple.fr")

    assert response.url == reverse("accounts:login_code")
    assert logged_in_user_id(client) is None

    code_step(client, totp_token(device))

    assert logged_in_user_id(client) == alice.user.pk  # type: ignore[union-attr]


# --- Sessions at login --------------------------------------------------------------------


def test_session_key_changes_at_login(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "bob@exemple.fr")
    key_before = session_key(client)
    assert key_before is not None

    code_step(client, totp_token(bob_totp))

    key_after = session_key(client)
    assert key_after is not None
    assert key_after != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert Session.objects.get(session_key=key_after).user == bob.user


def test_session_planted_before_login_is_not_the_one_logged_in(
    client: Client, alice: Patient
) -> None:
    """
    GIVEN a session key an attacker obtained before alice logs in (session fixation)
    WHEN alice logs in with it in her browser
    THEN she is given a new key and the planted one logs nobody in.
    """
    planted = client.session
    planted["langue"] = "fr"
    planted.save()

    password_step(client, "alice@exemple.fr")

    assert session_key(client) != planted.session_key
    attacker = Client()
    attacker.cookies["sessionid"] = planted.session_key
    assert logged_in_user_id(attacker) is None


@pytest.mark.parametrize(
    ("seconds", "logged_in"), [(299, True), (301, False)], ids=["in-time", "too-late"]
)
def test_pending_login_expires_after_five_minutes(
    client: Client,
    bob: Professional,
    bob_totp: TOTPDevice,
    frozen: time_machine.Coordinates,
    seconds: int,
    logged_in: bool,
) -> None:
    password_step(client, "bob@exemple.fr")
    frozen.shift(seconds)

    response = code_step(client, totp_token(bob_totp))

    assert (logged_in_user_id(client) == bob.user.pk) is logged_in
    if not logged_in:
        assert response.url == reverse("accounts:login")
        page = client.get(response.url)
        assert "Votre connexion a expiré, veuillez recommencer." in page.content.decode()


def test_code_page_without_pending_login_sends_back_to_login(client: Client) -> None:
    response = client.get(reverse("accounts:login_code"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")


def test_pending_login_of_a_deactivated_user_goes_nowhere(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "bob@exemple.fr")
    User.objects.filter(pk=bob.user.pk).update(is_active=False)

    response = code_step(client, totp_token(bob_totp))

    assert response.url == reverse("accounts:login")
    assert logged_in_user_id(client) is None


# --- Where the login leads ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "https:///evil.example/",
        "/\\evil.example/",
        "http://testserver.evil.example/",
    ],
)
def test_login_refuses_to_redirect_off_site(client: Client, alice: Patient, target: str) -> None:
    response = password_step(client, "alice@exemple.fr", next=target)

    assert response.status_code == 302
    assert response.url == HOME


def test_login_follows_a_local_next(client: Client, alice: Patient) -> None:
    response = password_step(client, "alice@exemple.fr", next="/compte/securite/")

    assert response.url == "/compte/securite/"


def test_next_survives_the_code_step_but_not_off_site(
    client: Client, bob: Professional, bob_totp: TOTPDevice, frozen: time_machine.Coordinates
) -> None:
    password_step(client, "bob@exemple.fr", next="https://evil.example/")

    response = code_step(client, totp_token(bob_totp))

    assert response.url == HOME


def test_login_page_carries_next_from_the_query_string(client: Client) -> None:
    response = client.get(reverse("accounts:login") + "?next=/compte/securite/")

    assert 'name="next" value="/compte/securite/"' in response.content.decode()


def test_logged_in_visitor_of_the_login_page_is_sent_home(
    alice_client: Client,
) -> None:
    response = alice_client.get(reverse("accounts:login"))

    assert response.status_code == 302
    assert response.url == reverse("home")


# --- Logout -------------------------------------------------------------------------------


def test_logout_by_link_does_nothing(alice_client: Client) -> None:
    """A GET (a prefetch, an <img src>) must not log anyone out."""
    response = alice_client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert SESSION_KEY in alice_client.session


def test_logout_ends_the_session(alice_client: Client) -> None:
    key = session_key(alice_client)

    response = alice_client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert SESSION_KEY not in alice_client.session
    assert not Session.objects.filter(session_key=key).exists()
