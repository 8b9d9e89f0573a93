"""In a real browser: a GP writes to her patient from his record; the patient sees
the unread badge, opens the conversation and replies, with no way to start one;
the GP finds the reply in her inbox (issue 12)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import totp_token
from tests.factories import (
    DEFAULT_PASSWORD,
    CareRelationshipFactory,
    PatientUserFactory,
    ProfessionalFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_gp_writes_the_patient_replies_and_the_gp_reads_the_reply(
    page: Page, log_in: Callable[[str, str], None]
) -> None:
    pro = ProfessionalFactory(
        user__email="helene@exemple.fr",
        user__first_name="Hélène",
        user__last_name="Garnier",
        last_name="Garnier",
        first_name="Hélène",
    )
    device = TOTPDevice.objects.create(user=pro.user, name="Application", confirmed=True)
    # The second sign-in falls in the same 30 seconds: a code is never taken twice.
    backup = StaticDevice.objects.create(user=pro.user, name="Codes de secours", confirmed=True)
    backup.token_set.create(token="secours42")
    patient = PatientUserFactory(
        given_names="Gérard", birth_names="FONTAINE", user__email="gerard@exemple.fr"
    )
    CareRelationshipFactory(professional=pro, patient=patient)

    log_in("helene@exemple.fr", DEFAULT_PASSWORD)
    page.get_by_label("Code de vérification").fill(totp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("link", name="FONTAINE Gérard").click()
    page.get_by_role("link", name="Écrire au patient").click()
    page.get_by_label("Objet").fill("Résultats de votre bilan")
    page.get_by_role("textbox", name="Message Texte simple").fill(
        "Votre HbA1c est à 7,1 %.\nNous en reparlerons."
    )
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.get_by_text("Message envoyé au patient.")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    log_in("gerard@exemple.fr", DEFAULT_PASSWORD)
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Messagerie 1 non lu")).to_be_visible()
    menu.get_by_role("link", name="Messagerie 1 non lu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messagerie")
    # Only professionals start conversations: nothing here to write a new one.
    expect(page.get_by_role("link", name="Nouveau message")).to_have_count(0)
    expect(page.get_by_role("button", name="Nouveau message")).to_have_count(0)
    page.get_by_role("link", name="Résultats de votre bilan").click()
    expect(page.get_by_text("Votre HbA1c est à 7,1 %.")).to_be_visible()
    expect(menu.get_by_role("link", name="Messagerie", exact=True)).to_be_visible()
    page.get_by_label("Votre réponse").fill("Merci docteur, à bientôt.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_text("Message envoyé.")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    log_in("helene@exemple.fr", DEFAULT_PASSWORD)
    page.get_by_label("Code de vérification").fill("secours42")
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Messagerie"
    ).click()
    expect(page.get_by_text("Non lu")).to_be_visible()
    page.get_by_role("link", name="Résultats de votre bilan").click()
    expect(page.get_by_text("Merci docteur, à bientôt.")).to_be_visible()
