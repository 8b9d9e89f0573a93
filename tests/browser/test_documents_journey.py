"""Issue 4 in a real browser: a patient adds a PDF, finds it by a word of its text,
reads it inline and hides it from professionals; a refused file shows its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.documents.test_documents import pdf_bytes
from tests.factories import DEFAULT_PASSWORD, PatientUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def _storage_and_scanner(media: Path, scanner: str) -> None:
    """Blobs in this test's own folder, scanned by the real clamd."""


def test_patient_adds_finds_reads_and_hides_a_document(
    page: Page, log_in: Callable[[str, str], None], tmp_path: Path
) -> None:
    PatientUserFactory(given_names="Alice", birth_names="MARTIN", user__email="alice@exemple.fr")
    letter = tmp_path / "compte-rendu.pdf"
    letter.write_bytes(pdf_bytes("Bilan cardiologique echographie normale"))
    archive = tmp_path / "dossier.zip"
    archive.write_bytes(b"PK\x03\x04" + bytes(200))

    log_in("alice@exemple.fr", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    page.get_by_role("navigation", name="Mon dossier").get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")

    # A PDF: received, checked, listed.
    page.get_by_role("link", name="Ajouter un document").click()
    page.get_by_label("Fichier").set_input_files(str(letter))
    page.get_by_label("Type de document").select_option(label="Document du patient")
    page.get_by_label("Titre").fill("Bilan du cardiologue")
    page.get_by_label("Date de l’acte").fill("2024-03-02")
    page.get_by_role("button", name="Déposer").click()
    expect(page.get_by_text("Le document a été reçu")).to_be_visible()
    documents = page.get_by_role("table", name="Documents du dossier")
    expect(documents.get_by_role("link", name="Bilan du cardiologue")).to_be_visible()

    # An archive: refused, with its reason, and nothing else changes.
    page.get_by_role("link", name="Ajouter un document").click()
    page.get_by_label("Fichier").set_input_files(str(archive))
    page.get_by_label("Titre").fill("Mes examens")
    page.get_by_label("Date de l’acte").fill("2024-03-03")
    page.get_by_role("button", name="Déposer").click()
    pending = page.get_by_role("region", name="Vos dépôts en cours")
    expect(pending.get_by_text("Refusé")).to_be_visible()
    expect(pending.get_by_text("archive", exact=False)).to_be_visible()

    # Found by a word of its text, read inline.
    page.get_by_role("textbox", name="Rechercher").fill("échographie")
    page.get_by_role("button", name="Afficher").click()
    expect(documents.get_by_role("row")).to_have_count(2)  # header + the letter
    documents.get_by_role("link", name="Bilan du cardiologue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan du cardiologue")
    viewer = page.locator("iframe.ms-document-frame")
    expect(viewer).to_have_attribute("title", "Document : Bilan du cardiologue")

    # Hidden from professionals, and marked so.
    page.get_by_role("button", name="Masquer aux professionnels").click()
    expect(page.get_by_text("est masqué aux professionnels")).to_be_visible()
    expect(page.get_by_role("button", name="Ne plus masquer aux professionnels")).to_be_visible()
