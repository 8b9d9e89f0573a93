"""The operator console: each role its menu, every other page a 404 with the way
back, and the admins' campaign pages (figures, letter batches, CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.optout.models import LetterBatch
from messpace.accounts.models import User
from tests.consent.optout.test_dashboard import LYON_FIGURES, PARIS_FIGURES, _story
from tests.factories import PatientUserFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db
Login = Callable[[Client, User], Client]

CONSOLE = reverse("console:home")
CAMPAIGNS = reverse("console-optout:campaigns")
CALLER = reverse("support_caller_notice")


@pytest.fixture
def agent(client: Client, login: Login) -> Client:
    return login(client, UserFactory(email="nadia@exemple.fr", is_support_agent=True))


@pytest.fixture
def operator(client: Client, login: Login) -> Client:
    """An admin of the console: staff, not a technical superuser."""
    return login(client, UserFactory(email="diane@exemple.fr", is_staff=True))


def _menu(response: Any) -> list[str]:
    return [
        entry.label for section in response.context["console_menu"]() for entry in section.entries
    ]


def test_a_support_agent_gets_their_console_and_its_menu(agent: Client) -> None:
    home = agent.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == CONSOLE

    page = agent.get(CONSOLE)

    assertContains(page, "<h1>Console des opérateurs</h1>", html=True)
    assert _menu(page) == ["Appel d’un assuré : avis d’information"]
    assertNotContains(page, CAMPAIGNS)
    assertNotContains(page, "Administration technique")
    assertContains(agent.get(CALLER), "Avis d’information : demande d’un appelant")


def test_a_page_outside_the_role_answers_404_with_the_roles_home_a_click_away(
    agent: Client, time_machine: Any
) -> None:
    story = _story(time_machine)
    for url in (
        CAMPAIGNS,
        reverse("console-optout:campaign", args=[story.paris.pk]),
        reverse("console-optout:campaigns_csv"),
    ):
        response = agent.get(url)
        assert response.status_code == 404, url
        assertContains(response, f'href="{CONSOLE}"', status_code=404)
        assertContains(response, "Retour à l’accueil de la console", status_code=404)
        assertNotContains(response, "Paris 2026", status_code=404)


def test_an_admin_sees_the_campaign_pages_not_the_callers_tool(operator: Client) -> None:
    page = operator.get(CONSOLE)
    assert _menu(page) == [
        "Populations importées",
        "Campagnes d’information",
        "Quarantaine des dépôts",
        "Professionnels",
        "Structures et membres",
        "Imports de l’annuaire national",
        "Chiffres nationaux",
    ]
    assert operator.get(CALLER).status_code == 404


@pytest.mark.parametrize("who", ["patient", "professional"])
def test_patients_and_professionals_get_404_everywhere_in_the_console(
    client: Client, login: Login, who: str
) -> None:
    user = (
        PatientUserFactory().user if who == "patient" else ProfessionalFactory().user  # type: ignore[union-attr]
    )
    login(client, user)
    for url in (CONSOLE, CAMPAIGNS, CALLER):
        response = client.get(url)
        assert response.status_code == 404, url
        assertNotContains(response, "Retour à l’accueil de la console", status_code=404)


def test_the_console_needs_a_login(client: Client) -> None:
    response = client.get(CAMPAIGNS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_old_support_address_leads_to_the_console(agent: Client) -> None:
    response = agent.get("/support/avis/")
    assert response.status_code == 301 and response["Location"] == CALLER


def test_an_admin_follows_a_campaign_with_its_figures_and_letter_batches(
    operator: Client, time_machine: Any
) -> None:
    story = _story(time_machine)

    listing = operator.get(CAMPAIGNS)
    rows = listing.context["campaigns"]
    assert {row.name: row.notified for row in rows} == {
        "Paris 2026": PARIS_FIGURES["notified"],
        "Lyon 2026": LYON_FIGURES["notified"],
    }
    campaign_url = reverse("console-optout:campaign", args=[story.paris.pk])
    assertContains(listing, f'href="{campaign_url}"')

    page = operator.get(campaign_url)
    figures = page.context["figures"]
    assert {name: getattr(figures, name) for name in PARIS_FIGURES} == PARIS_FIGURES
    assertContains(page, "<h1>Paris 2026</h1>", html=True)
    assertContains(page, "<svg", count=2)
    # Aggregates only: nobody of the campaign is named on it.
    for person in story.people:
        assertNotContains(page, person.birth_names)
        assertNotContains(page, person.nir)
    batch = LetterBatch.objects.filter(campaign=story.paris).first()
    assert batch is not None  # the story's letters went out in a batch
    assertContains(page, reverse("console-optout:batch_download", args=[batch.pk, "pdf"]))
    pdf = operator.get(reverse("console-optout:batch_download", args=[batch.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "no-store"
    assert pdf.content[:5] == b"%PDF-"
    manifest = operator.get(reverse("console-optout:batch_download", args=[batch.pk, "manifest"]))
    assert manifest["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        operator.get(
            reverse("console-optout:batch_download", args=[batch.pk, "letters"])
        ).status_code
        == 404
    )


def test_a_letter_batch_of_an_unknown_part_or_id_answers_404(operator: Client) -> None:
    assert (
        operator.get(reverse("console-optout:batch_download", args=[999, "pdf"])).status_code == 404
    )
    assert operator.get(reverse("console-optout:campaign", args=[999])).status_code == 404


def test_the_console_exports_every_campaign_as_csv(operator: Client, time_machine: Any) -> None:
    _story(time_machine)
    response = operator.get(reverse("console-optout:campaigns_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    names = [row[0] for row in rows[1:]]
    assert "Paris 2026" in names and "Lyon 2026" in names


def test_a_campaign_page_costs_the_same_queries_whatever_the_campaign(
    operator: Client, time_machine: Any
) -> None:
    story = _story(time_machine)

    def count(pk: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert operator.get(reverse("console-optout:campaign", args=[pk])).status_code == 200
        return len(queries)

    assert count(story.paris.pk) == count(story.lyon.pk)
