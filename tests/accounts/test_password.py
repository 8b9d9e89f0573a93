"""Changing one's password: Django's validators, in French."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from messpace.accounts.models import User
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/compte/mot-de-passe/"
NEW_PASSWORD = "Une-phrase-de-passe-solide-2026"


def change(client: Client, new: str, old: str = DEFAULT_PASSWORD) -> object:
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": new})


def test_password_change_page_is_at_its_french_address() -> None:
    assert reverse("accounts:password_change") == URL


def test_weak_password_is_refused_in_french_and_the_old_one_kept(
    alice_client: Client, alice_user: User
) -> None:
    response = change(alice_client, "12345678")

    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères." in errors
    assert "Ce mot de passe est entièrement numérique." in errors
    assert "Ce mot de passe est trop courant." in errors
    assert "Ce mot de passe est entièrement numérique." in response.content.decode()
    alice_user.refresh_from_db()
    assert alice_user.check_password(DEFAULT_PASSWORD)


def test_password_resembling_the_email_is_refused(alice_client: Client, alice_user: User) -> None:
    response = change(alice_client, "alice@exemple.fr")

    assert (
        "Le mot de passe est trop semblable au champ «\xa0adresse électronique\xa0»."
        in (response.context["form"].errors["new_password2"])
    )


def test_wrong_current_password_is_refused(alice_client: Client, alice_user: User) -> None:
    response = change(alice_client, NEW_PASSWORD, old="pas-le-bon")

    assert (
        "Votre ancien mot de passe est incorrect. Veuillez le rectifier."
        in (response.context["form"].errors["old_password"])
    )
    alice_user.refresh_from_db()
    assert alice_user.check_password(DEFAULT_PASSWORD)


def test_strong_password_is_accepted_and_this_session_stays_open(
    alice_client: Client, alice_user: User
) -> None:
    response = change(alice_client, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("accounts:security")
    alice_user.refresh_from_db()
    assert alice_user.check_password(NEW_PASSWORD)
    assert not alice_user.check_password(DEFAULT_PASSWORD)
    assert alice_client.get(reverse("accounts:security")).status_code == 200


def test_password_change_closes_the_other_sessions(
    alice_client: Client, alice_user: User, login: Callable[[Client, User], Client]
) -> None:
    """
    GIVEN alice logged in on a second device (perhaps someone who stole her password)
    WHEN she changes her password
    THEN the other device is logged out at its next request.
    """
    other = login(Client(), alice_user)

    change(alice_client, NEW_PASSWORD)

    assert other.get(reverse("accounts:security")).status_code == 302
    assert SESSION_KEY not in other.session


def test_password_change_needs_a_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
