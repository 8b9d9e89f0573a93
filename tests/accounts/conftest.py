"""Fixtures for the login and account-security tests.

Time-dependent tests freeze the clock with time-machine: TOTP codes, the
five-minute pending login, django-otp's throttling and session expiry all read
the clock, so a frozen clock makes each code deterministic.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from messpace.accounts import services
from messpace.accounts.models import Professional, User
from tests.factories import DEFAULT_PASSWORD

PARIS = ZoneInfo("Europe/Paris")
# A Monday morning, far from any DST change.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
BACKUP_CODES = ["bkpcode2345", "bkpcode6789"]


def totp_token(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the authenticator app would show now (or ``offset_steps`` away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    """A 6-digit code that no step within the device's tolerance accepts."""
    accepted = {
        totp_token(device, offset_steps=k) for k in range(-device.tolerance, device.tolerance + 1)
    }
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def logged_in_user_id(client: Client) -> int | None:
    raw = client.session.get(SESSION_KEY)
    return int(raw) if raw is not None else None


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def password_step(
    client: Client, email: str, password: str = DEFAULT_PASSWORD, **extra: str
) -> object:
    data = {"email": email, "password": password}
    next_url = extra.pop("next", None)
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data, **extra)  # type: ignore[arg-type]


def code_step(client: Client, token: str) -> object:
    return client.post(reverse("accounts:login_code"), {"token": token})


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def bob_totp(bob: Professional) -> TOTPDevice:
    return TOTPDevice.objects.create(user=bob.user, name=services.TOTP_DEVICE_NAME, confirmed=True)


@pytest.fixture
def bob_backup_codes(bob: Professional) -> list[str]:
    return services.backup_codes_regenerate(user=bob.user, codes=list(BACKUP_CODES))


@pytest.fixture
def make_client() -> Callable[[], Client]:
    """A second (or third) browser, for the tests that juggle several sessions."""
    return Client


@pytest.fixture
def alice_user(alice: object) -> User:
    user = alice.user  # type: ignore[attr-defined]
    assert user is not None
    return user
