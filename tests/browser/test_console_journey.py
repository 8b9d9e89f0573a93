"""The operator console in a real browser: a support agent gets their console and a
campaign page answers 404 to them, with their home a click away; an admin follows
a campaign from the console's menu to its figures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from consent.optout.services import campaigns as campaign_services
from records.lifecycle.models import RecordState
from tests.browser.test_privacy_journey import expected_errors, next_totp_token, page
from tests.factories import DEFAULT_PASSWORD, CampaignFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
__all__ = ["expected_errors", "page"]  # the fixtures, re-used


def _sign_in(page: Page, log_in: Callable[[str, str], None], email: str, **flags: bool) -> None:
    user = UserFactory(email=email, first_name="Nadia", last_name="Rousseau", **flags)
    device = TOTPDevice.objects.create(user=user, name="Application", confirmed=True)
    log_in(email, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Validation en deux étapes")
    page.get_by_label("Code de vérification").fill(next_totp_token(device))
    page.get_by_role("button", name="Valider").click()


def test_a_support_agent_gets_their_console_and_a_campaign_page_answers_404(
    page: Page, log_in: Callable[[str, str], None], expected_errors: set[tuple[int, str]]
) -> None:
    campaign = CampaignFactory(name="Rhône 2026")
    _sign_in(page, log_in, "nadia@exemple.fr", is_support_agent=True)

    expect(page.get_by_role("heading", level=1)).to_have_text("Console des opérateurs")
    menu = page.get_by_role("navigation", name="Console")
    expect(menu.get_by_role("link", name="Appel d’un assuré : avis d’information")).to_be_visible()
    expect(menu.get_by_role("link", name="Campagnes d’information")).to_have_count(0)

    url = reverse("console-optout:campaign", args=[campaign.pk])
    expected_errors.add((404, url))
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_text("Rhône 2026")).to_have_count(0)
    page.get_by_role("link", name="Retour à l’accueil de la console").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console des opérateurs")


def test_an_admin_follows_a_campaign_in_the_console(
    page: Page, log_in: Callable[[str, str], None]
) -> None:
    for n in range(3):
        PatientFactory(record_state=RecordState.CREATED, email=f"assure{n}@exemple.fr")
    campaign = CampaignFactory(name="Rhône 2026")
    campaign_services.campaign_start(campaign=campaign)
    _sign_in(page, log_in, "diane@exemple.fr", is_staff=True)

    expect(page.get_by_role("heading", level=1)).to_have_text("Console des opérateurs")
    page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Campagnes d’information"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campagnes d’information")
    page.get_by_role("table", name="Par campagne").get_by_role("link", name="Rhône 2026").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Rhône 2026")
    figures = page.get_by_role("table", name="Chiffres clés")
    sent = figures.get_by_role("row", name="Avis envoyés (dossiers notifiés)")
    expect(sent.get_by_role("cell")).to_have_text("3")
    expect(page.get_by_role("img", name="Parcours des dossiers de la campagne")).to_be_visible()
    # The wide tables stay within the page: the DSFR table scrolls, the page does not.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
