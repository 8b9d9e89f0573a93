"""End-to-end journeys in a real browser: a patient fills their record, a doctor opens it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.factories import (
    DEFAULT_PASSWORD,
    CareRelationshipFactory,
    PatientUserFactory,
    ProfessionalFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def totp_token(device: TOTPDevice) -> str:
    """The code the professional's authenticator app shows right now."""
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(totp.token()).zfill(device.digits)


def test_patient_logs_in_adds_a_weight_and_an_allergy(
    page: Page, log_in: Callable[[str, str], None]
) -> None:
    PatientUserFactory(
        given_names="Alice Marie", birth_names="MARTIN", user__email="alice@exemple.fr"
    )

    log_in("alice@exemple.fr", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")

    # Keyboard: the first Tab lands on the skip link, which leads to the content.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Contenu"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#content$"))

    # Health measures: add a weight, then find it on its chart and in the values table.
    page.get_by_role("link", name="Voir toutes les mesures et les courbes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mesures de santé")
    page.get_by_role("link", name="Ajouter une mesure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une mesure")
    page.get_by_label("Mesure", exact=True).select_option(label="Poids")
    # DSFR puts the hint inside the label: the accessible name starts with the label.
    page.get_by_label(re.compile(r"^\s*Valeur\s")).fill("72,5")
    page.get_by_label("Date de la mesure").fill("2026-01-15T08:30")
    page.get_by_role("button", name="Enregistrer").click()

    notice = page.locator("#added-notice")
    expect(notice).to_have_text("« Poids : 72,5 kg » a été ajouté à votre dossier.")
    expect(notice).to_be_focused()  # read out by screen readers, in view
    chart = page.get_by_role("img", name=re.compile(r"^Poids au fil du temps"))
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-labelledby", re.compile(r"^chart-weight"))
    figure = page.locator("#figure-weight")
    figure.get_by_text("Tableau des valeurs : Poids").click()
    values = figure.get_by_role("table")
    expect(values).to_be_visible()
    expect(values).to_contain_text("15/01/2026 08:30")
    expect(values).to_contain_text("72,5 kg")

    # A blood pressure the French way, "13/8": the form adapts, the answer is plain.
    page.get_by_role("link", name="Ajouter une mesure").click()
    diastolic = page.get_by_label(re.compile(r"^\s*Tension diastolique"))
    expect(diastolic).to_be_hidden()  # one value for a weight
    page.get_by_label("Mesure", exact=True).select_option(label="Tension artérielle")
    expect(diastolic).to_be_visible()
    expect(page.locator("#id_value_helptext")).to_contain_text("130/80 (en mmHg) ou 13/8")
    page.get_by_label(re.compile(r"^\s*Valeur\s")).fill("13/8")
    page.get_by_label("Date de la mesure").fill("2026-01-15T08:35")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#added-notice")).to_contain_text(
        "« Tension artérielle : 130/80 mmHg » a été ajouté à votre dossier. Vous avez écrit "
        "la tension en centimètres de mercure (13/8)"
    )

    # Allergies: through the record's side menu.
    page.get_by_role("navigation", name="Mon dossier").get_by_role(
        "link", name="Allergies et intolérances"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allergies et intolérances")
    page.get_by_role("link", name="Ajouter une allergie").click()
    page.get_by_label("Substance").fill("Pénicilline")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator("#added-notice")).to_have_text(
        "« Allergie : Pénicilline » a été ajouté à votre dossier."
    )
    table = page.get_by_role("table", name="Allergies et intolérances")
    expect(table.get_by_role("cell", name="Pénicilline", exact=True)).to_be_visible()


def test_professional_logs_in_with_a_code_and_opens_a_patient_record(
    page: Page, log_in: Callable[[str, str], None]
) -> None:
    pro = ProfessionalFactory(
        user__email="bob@exemple.fr", user__first_name="Bob", user__last_name="Durand"
    )
    device = TOTPDevice.objects.create(user=pro.user, name="Application", confirmed=True)
    patient = PatientUserFactory(given_names="Alice Marie", birth_names="MARTIN")
    CareRelationshipFactory(professional=pro, patient=patient)

    log_in("bob@exemple.fr", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Validation en deux étapes")
    page.get_by_label("Code de vérification").fill(totp_token(device))
    page.get_by_role("button", name="Valider").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mes patients")
    page.get_by_role("link", name="MARTIN Alice Marie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier d’Alice MARTIN")
