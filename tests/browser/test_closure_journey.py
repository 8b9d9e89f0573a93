"""Issue 5 in a real browser: a patient closes her record, finds it closed, reopens it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from consent.policy import own_record_access
from records.lifecycle.models import Record, RecordState
from records.models import Allergy
from records.services import entry_create
from tests.factories import DEFAULT_PASSWORD, PatientUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_patient_closes_her_record_with_the_keyboard_and_reopens_it(
    page: Page, log_in: Callable[[str, str], None]
) -> None:
    alice = PatientUserFactory(
        given_names="Alice Marie", birth_names="MARTIN", user__email="alice@exemple.fr"
    )
    entry_create(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        model=Allergy,
        data={"substance": "Pénicilline", "reaction": "Urticaire"},
    )
    log_in("alice@exemple.fr", DEFAULT_PASSWORD)
    page.goto("/espace/profil/")
    page.get_by_role("link", name="Fermer le dossier…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fermer mon dossier")

    # A wrong password: refused with its reason, the record stays open.
    page.get_by_label("Votre mot de passe").fill("pas-le-bon")
    # DSFR draws the box over the label: a click lands on the label, as a user's would.
    page.get_by_text("J’ai compris que ce dossier ne sera plus accessible").click()
    page.get_by_role("button", name="Fermer le dossier").click()
    expect(page.get_by_text("Ce mot de passe n’est pas le bon.")).to_be_visible()
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE

    # With the keyboard: type the password, tick the box with Space, send with Enter.
    page.get_by_label("Votre mot de passe").fill(DEFAULT_PASSWORD)
    box = page.get_by_label("J’ai compris que ce dossier ne sera plus accessible")
    if not box.is_checked():
        box.focus()
        page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.get_by_role("button", name="Fermer le dossier").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Votre dossier est fermé")
    expect(page.get_by_text("Pénicilline")).to_have_count(0)
    assert Record.objects.get(patient=alice).state == RecordState.CLOSED
    # The home page leads to the closure, not to the record.
    page.goto("/espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre dossier est fermé")

    page.get_by_role("button", name="Rouvrir le dossier").click()
    expect(page.get_by_text("Le dossier est rouvert")).to_be_visible()
    page.goto("/espace/allergies/")
    expect(page.get_by_role("cell", name="Pénicilline", exact=True)).to_be_visible()
