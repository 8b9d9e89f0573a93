"""Sessions: listed and ended by their owner, idle expiry, two-factor enforcement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, Settings
from qsessions.models import Session

from messpace.accounts.models import Professional, User
from tests.accounts.conftest import T0, logged_in_user_id, session_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Login = Callable[[Client, User], Client]
SECURITY = "/compte/securite/"


@pytest.fixture
def laptop(alice_user: User, login: Login) -> Client:
    return login(Client(HTTP_USER_AGENT="Firefox sur le portable"), alice_user)


@pytest.fixture
def phone(alice_user: User, login: Login) -> Client:
    return login(Client(HTTP_USER_AGENT="Safari sur iPhone"), alice_user)


def test_security_page_lists_the_owners_open_sessions(
    laptop: Client, phone: Client, bob_client: Client
) -> None:
    for browser in (laptop, phone):
        browser.get(SECURITY)  # the first request records the user agent

    response = laptop.get(SECURITY)

    listed = {s.session_key for s in response.context["sessions"]}
    assert listed == {session_key(laptop), session_key(phone)}
    html = response.content.decode()
    assert "Safari sur iPhone" in html
    assert "Firefox sur le portable" in html
    assert html.count(">cette session</span>") == 1
    assert response.context["current_key"] == session_key(laptop)
    assert session_key(bob_client) not in html


def test_security_page_query_count_does_not_grow_with_sessions(
    laptop: Client,
    alice_user: User,
    login: Login,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for _ in range(5):
        login(Client(), alice_user)

    with django_assert_max_num_queries(11):  # 10, and the unread messages badge
        response = laptop.get(SECURITY)

    assert len(response.context["sessions"]) == 6


def test_expired_sessions_are_not_listed(laptop: Client, phone: Client) -> None:
    Session.objects.filter(session_key=session_key(phone)).update(
        expire_date=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )

    response = laptop.get(SECURITY)

    assert [s.session_key for s in response.context["sessions"]] == [session_key(laptop)]


def test_owner_ends_their_other_session(laptop: Client, phone: Client) -> None:
    phone_key = session_key(phone)

    response = laptop.post(reverse("accounts:session_end"), {"session_key": phone_key}, follow=True)

    assert "La session a été fermée." in response.content.decode()
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert phone.get(SECURITY).status_code == 302
    assert logged_in_user_id(phone) is None
    assert laptop.get(SECURITY).status_code == 200


def test_ending_someone_elses_session_does_nothing(laptop: Client, bob_client: Client) -> None:
    """
    GIVEN alice, who somehow learned bob's session key
    WHEN she asks to end that session from her security page
    THEN bob's session lives on and alice is told there is no such session.
    """
    bob_key = session_key(bob_client)

    response = laptop.post(reverse("accounts:session_end"), {"session_key": bob_key}, follow=True)

    assert "Cette session n’existe plus." in response.content.decode()
    assert Session.objects.filter(session_key=bob_key).exists()
    assert bob_client.get(SECURITY).status_code == 200


def test_ending_the_current_session_logs_out(laptop: Client) -> None:
    response = laptop.post(reverse("accounts:session_end"), {"session_key": session_key(laptop)})

    assert response.url == reverse("accounts:login")
    assert SESSION_KEY not in laptop.session


def test_ending_a_session_needs_a_post(laptop: Client, phone: Client) -> None:
    response = laptop.get(reverse("accounts:session_end"), {"session_key": session_key(phone)})

    assert response.status_code == 405
    assert Session.objects.filter(session_key=session_key(phone)).exists()


def test_idle_session_expires_but_activity_keeps_it_alive(
    settings: Settings, alice_user: User, login: Login
) -> None:
    """
    GIVEN a session that expires after SESSION_COOKIE_AGE without activity
    WHEN alice keeps clicking every 20 minutes, then leaves for longer than that
    THEN each click pushes the deadline back, and after the long pause she must log in again.

    A local-memory cache stands in for Redis here: it reads the (travelled)
    clock for its expiry, as Redis would the real one.
    """
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    idle = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert idle == dt.timedelta(minutes=30)
    with time_machine.travel(T0, tick=False) as traveller:
        client = login(Client(), alice_user)
        key = session_key(client)

        for _ in range(3):  # an hour of activity in total, past the first deadline
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get(SECURITY).status_code == 200
        assert Session.objects.get(session_key=key).expire_date == T0 + dt.timedelta(hours=1) + idle

        traveller.shift(idle + dt.timedelta(seconds=1))
        response = client.get(SECURITY)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_session_cookie_does_not_outlive_the_browser(settings: Settings) -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


# --- Two-factor enforced on every request --------------------------------------------------


def test_unverified_professional_session_is_logged_out(client: Client, bob: Professional) -> None:
    """
    GIVEN a professional session that never passed the second step (another login path,
    an old session)
    WHEN it asks for any page
    THEN it is logged out and sent to the login page.
    """
    client.force_login(bob.user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    "flags", [{"is_support_agent": True}, {"is_staff": True}], ids=["agent", "admin"]
)
def test_unverified_agent_or_admin_session_is_logged_out(
    client: Client, flags: dict[str, bool]
) -> None:
    user = UserFactory(**flags)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(SECURITY)

    assert response.url == reverse("accounts:login")
    assert logged_in_user_id(client) is None


def test_verified_professional_session_is_let_through(bob_client: Client) -> None:
    assert bob_client.get(SECURITY).status_code == 200


def test_patient_without_two_factor_is_let_through(alice_client: Client) -> None:
    assert alice_client.get(SECURITY).status_code == 200


def test_enabling_two_factor_closes_the_patients_other_sessions(db, client) -> None:
    """GIVEN a patient logged in on two devices WHEN they turn on two-factor on one
    THEN the other session, which never showed a code, is closed."""
    from django.test import Client
    from django.urls import reverse
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from qsessions.models import Session

    from tests.factories import PatientUserFactory

    patient = PatientUserFactory()
    other = Client()
    other.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")
    client.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")
    assert Session.objects.filter(user=patient.user).count() == 2

    client.get(reverse("accounts:enrol"))
    device = TOTPDevice.objects.get(user=patient.user, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(
        reverse("accounts:enrol"), {"token": f"{totp.token():0{device.digits}d}"}
    )

    assert response.status_code == 302
    assert Session.objects.filter(user=patient.user).count() == 1
    assert other.get(reverse("records:dashboard")).status_code == 302


def test_closing_all_other_sessions_keeps_only_the_current_one(db, client) -> None:
    from django.test import Client
    from django.urls import reverse
    from qsessions.models import Session

    from tests.factories import PatientUserFactory

    patient = PatientUserFactory()
    someone_else = PatientUserFactory()
    elsewhere, theirs = Client(), Client()
    elsewhere.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")
    theirs.force_login(someone_else.user, backend="django.contrib.auth.backends.ModelBackend")
    client.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.post(reverse("accounts:sessions_end_others"), follow=True)

    assert "1 autre session a été fermée." in response.content.decode()
    assert Session.objects.filter(user=patient.user).count() == 1
    assert Session.objects.filter(user=someone_else.user).count() == 1
    assert elsewhere.get(reverse("records:dashboard")).status_code == 302
    assert client.get(reverse("records:dashboard")).status_code == 200
