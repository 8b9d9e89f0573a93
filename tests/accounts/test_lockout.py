"""Repeated failures are throttled per email and address (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from messpace.accounts.middleware import forwarded_client_ip
from messpace.accounts.models import Professional
from records.models import Patient
from tests.accounts.conftest import logged_in_user_id, password_step

pytestmark = pytest.mark.django_db

BAD = "mauvais-mot-de-passe"
LOCKED_TITLE = "Trop de tentatives de connexion"


def fail(client: Client, email: str, times: int, **extra: str) -> list[int]:
    return [password_step(client, email, BAD, **extra).status_code for _ in range(times)]


def test_lockout_settings_key_on_email_and_address_together(settings: Settings) -> None:
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5


def test_failures_below_the_limit_answer_with_the_form(client: Client, alice: Patient) -> None:
    limit = 5

    statuses = fail(client, "alice@exemple.fr", limit - 1)

    assert statuses == [200] * (limit - 1)
    assert password_step(client, "alice@exemple.fr").status_code == 302


def test_email_is_locked_after_too_many_failures_from_one_address(
    client: Client, alice: Patient, settings: Settings
) -> None:
    """
    GIVEN someone guessing alice's password from one address
    WHEN they reach AXES_FAILURE_LIMIT failures
    THEN that attempt and every later one, even with the right password, get the French 429 page.
    """
    limit = settings.AXES_FAILURE_LIMIT

    statuses = fail(client, "alice@exemple.fr", limit)

    assert statuses == [200] * (limit - 1) + [429]
    response = password_step(client, "alice@exemple.fr")
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED_TITLE in html
    assert '<html lang="fr"' in html
    assert logged_in_user_id(client) is None


def test_lockout_counts_the_email_whatever_its_case(client: Client, alice: Patient) -> None:
    fail(client, "alice@exemple.fr", 3)
    statuses = fail(client, "ALICE@exemple.fr", 2)

    assert statuses[-1] == 429


def test_another_email_from_the_same_address_is_not_locked(
    client: Client, alice: Patient, charlie: Professional
) -> None:
    fail(client, "alice@exemple.fr", 5)

    assert password_step(client, "charlie@exemple.fr", BAD).status_code == 200
    assert password_step(client, "charlie@exemple.fr").status_code == 302


def test_failures_spread_over_several_emails_lock_none_of_them(
    client: Client, alice: Patient, charlie: Professional
) -> None:
    fail(client, "alice@exemple.fr", 3)
    fail(client, "charlie@exemple.fr", 3)

    assert password_step(client, "alice@exemple.fr").status_code == 302


def test_same_email_from_another_address_is_not_locked(client: Client, alice: Patient) -> None:
    fail(client, "alice@exemple.fr", 5)
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")

    response = password_step(elsewhere, "alice@exemple.fr")

    assert response.status_code == 302
    assert logged_in_user_id(elsewhere) == alice.user.pk  # type: ignore[union-attr]


def test_successful_login_resets_the_count(client: Client, alice: Patient) -> None:
    fail(client, "alice@exemple.fr", 4)
    password_step(client, "alice@exemple.fr")
    client.post("/deconnexion/")

    statuses = fail(client, "alice@exemple.fr", 4)

    assert statuses == [200] * 4


def test_unknown_email_is_throttled_like_a_known_one(client: Client) -> None:
    statuses = fail(client, "personne@exemple.fr", 5)

    assert statuses[-1] == 429


# --- Behind reverse proxies -----------------------------------------------------------------


def test_behind_a_proxy_clients_are_told_apart_by_forwarded_address(
    client: Client, alice: Patient, settings: Settings
) -> None:
    """
    GIVEN messpace behind one load balancer (every request comes from its address)
    WHEN an attacker locks alice's email from their own address
    THEN alice, coming through the same balancer from home, can still log in.
    """
    settings.TRUSTED_PROXY_COUNT = 1
    balancer = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.66", **balancer)
    home = Client(HTTP_X_FORWARDED_FOR="198.51.100.23", **balancer)

    assert fail(attacker, "alice@exemple.fr", 5)[-1] == 429
    assert password_step(home, "alice@exemple.fr").status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(
    client: Client, alice: Patient
) -> None:
    """An attacker cannot dodge the lockout by making up X-Forwarded-For values."""
    statuses = [
        password_step(
            client, "alice@exemple.fr", BAD, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses[-1] == 429


@pytest.mark.parametrize(
    ("forwarded_for", "count", "expected"),
    [
        ("", 0, "10.0.0.2"),
        ("198.51.100.23", 0, "10.0.0.2"),
        ("198.51.100.23", 1, "198.51.100.23"),
        ("6.6.6.6, 198.51.100.23", 1, "198.51.100.23"),  # the left hop is client-written
        ("6.6.6.6, 198.51.100.23, 10.0.0.9", 2, "198.51.100.23"),
        ("198.51.100.23", 2, "10.0.0.2"),  # shorter than the proxy chain: misconfigured
        ("pas-une-adresse", 1, "10.0.0.2"),
        ("2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_forwarded_client_ip(forwarded_for: str, count: int, expected: str) -> None:
    assert forwarded_client_ip("10.0.0.2", forwarded_for, count) == expected
