"""The project's own error pages: French words, nothing of the machinery behind them."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from messpace import errors


def test_an_unknown_page_answers_the_french_404() -> None:
    response = Client().get("/nulle-part/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_form_posted_without_its_token_says_what_to_do_and_saves_nothing(
    db: None,
) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"username": "x@exemple.fr", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "rechargez la page puis recommencez" in page
    assert "CSRF" not in page


def test_the_server_error_page_needs_neither_database_nor_session() -> None:
    """Rendered with no request context at all: what failed may be the database."""
    response = errors.server_error(None)  # type: ignore[arg-type]

    assert response.status_code == 500
    page = response.content.decode()
    assert "Le service rencontre un problème" in page
    assert "Traceback" not in page
