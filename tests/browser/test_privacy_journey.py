"""In a real browser: a patient hides an item, blocks a nurse, reads who looked (issue 3),
and finds their GP in the directory by typing a name (issue 11)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response, expect

from consent.models import DesignatedGP
from consent.policy import own_record_access
from messpace.directory.services import directory_import_run, directory_import_start
from records.management.demo.directory import SAMPLE_EXTRACT as SAMPLE
from records.models import Allergy
from records.services import entry_create
from tests.factories import (
    DEFAULT_PASSWORD,
    CareRelationshipFactory,
    PatientUserFactory,
    ProfessionalFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def expected_errors() -> set[tuple[int, str]]:
    """Responses the test provokes on purpose, as (status, path)."""
    return set()


@pytest.fixture
def page(context: BrowserContext, expected_errors: set[tuple[int, str]]) -> Iterator[Page]:
    """The conftest ``page``, except for the responses listed in ``expected_errors``.

    The journey ends on a 404 it checks; any other HTTP error, console error or
    JavaScript exception still fails the test.
    """
    problems: list[str] = []
    page = context.new_page()

    def on_response(r: Response) -> None:
        if r.status >= 400 and (r.status, urlsplit(r.url).path) not in expected_errors:
            problems.append(f"HTTP {r.status} {r.url}")

    def on_console(m: ConsoleMessage) -> None:
        if m.type != "error":
            return
        location = urlsplit(m.location.get("url") or "").path
        if any(path == location for _, path in expected_errors):
            return
        problems.append(f"console: {m.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"JavaScript: {e}"))
    yield page
    assert not problems, "Erreurs dans le navigateur :\n" + "\n".join(problems)


def next_totp_token(device: TOTPDevice) -> str:
    """A code the device accepts now, even if a code of this time step was already used."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:  # same 30 s window as the previous login: take the next
        totp.time += device.step
    return str(totp.token()).zfill(device.digits)


def test_patient_hides_an_allergy_blocks_a_nurse_and_reads_the_access_history(
    page: Page, log_in: Callable[[str, str], None], expected_errors: set[tuple[int, str]]
) -> None:
    patient = PatientUserFactory(
        given_names="Alice Marie", birth_names="MARTIN", user__email="alice@exemple.fr"
    )
    assert patient.user is not None
    entry_create(
        access=own_record_access(patient.user), model=Allergy, data={"substance": "Arachide"}
    )
    nurse = ProfessionalFactory(
        profession="infirmier",
        user__email="bob@exemple.fr",
        user__first_name="Bob",
        user__last_name="Durand",
    )
    device = TOTPDevice.objects.create(user=nurse.user, name="Application", confirmed=True)
    CareRelationshipFactory(professional=nurse, patient=patient)
    record_url = reverse("pro:dashboard", args=[patient.pk])

    def nurse_logs_in() -> None:
        log_in("bob@exemple.fr", DEFAULT_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Validation en deux étapes")
        page.get_by_label("Code de vérification").fill(next_totp_token(device))
        page.get_by_role("button", name="Valider").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes patients")

    def log_out() -> None:
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    # 1. The nurse, who follows Alice, reads her allergies.
    nurse_logs_in()
    page.get_by_role("link", name="MARTIN Alice Marie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier d’Alice MARTIN")
    page.get_by_role("navigation", name="Alice MARTIN").get_by_role(
        "link", name="Allergies et intolérances"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allergies et intolérances")
    allergies = page.get_by_role("table", name="Allergies et intolérances")
    expect(allergies.get_by_role("cell", name="Arachide", exact=True)).to_be_visible()
    log_out()

    # 2. Alice hides the allergy, blocks the nurse and finds the nurse's visit.
    log_in("alice@exemple.fr", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alice")
    menu = page.get_by_role("navigation", name="Mon dossier")
    menu.get_by_role("link", name="Allergies et intolérances").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allergies et intolérances")
    row = page.get_by_role("table", name="Allergies et intolérances").get_by_role(
        "row", name="Arachide"
    )
    row.get_by_role("button", name="Masquer aux professionnels").click()
    expect(
        page.get_by_text("« Allergie : Arachide » est masqué aux professionnels")
    ).to_be_visible()
    expect(row.get_by_text("Masqué", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Ne plus masquer")).to_be_visible()

    menu.get_by_role("link", name="Confidentialité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confidentialité : qui voit mon dossier"
    )
    block_form = page.get_by_role("form", name="Bloquer un professionnel")
    block_form.get_by_label("Numéro RPPS du professionnel").fill(nurse.rpps)
    block_form.get_by_role("button", name="Bloquer").click()
    expect(
        page.get_by_text("Ce professionnel est bloqué : il n’a plus accès à votre dossier.")
    ).to_be_visible()
    blocked = page.get_by_role("table", name="Professionnels bloqués")
    expect(blocked).to_contain_text("Bob Durand")
    expect(blocked).to_contain_text(nurse.rpps)

    menu.get_by_role("link", name="Historique des accès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique des accès à mon dossier")
    visit = (
        page.get_by_role("row")
        .filter(has_text="Bob Durand, Infirmier")
        .filter(has=page.get_by_role("cell", name="Allergies et intolérances", exact=True))
    )
    expect(visit).to_have_count(1)
    expect(visit.get_by_role("cell", name="Relation de soins", exact=True)).to_be_visible()
    expect(visit.get_by_role("cell", name="Consultation", exact=True)).to_be_visible()
    log_out()

    # 3. The nurse has lost the record: not in her list, 404 at its address.
    nurse_logs_in()
    expect(page.get_by_role("link", name="MARTIN Alice Marie")).to_have_count(0)
    expect(page.get_by_text("Aucun patient ne correspond.")).to_be_visible()
    expected_errors.add((404, record_url))
    response = page.goto(record_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_text("Arachide")).to_have_count(0)


def test_patient_finds_their_gp_by_typing_a_name_and_chooses_them(
    page: Page, log_in: Callable[[str, str], None], media: Path
) -> None:
    with SAMPLE.open("rb") as stream:
        started = directory_import_start(by=None, filename=SAMPLE.name, stream=stream)
    directory_import_run(import_id=started.pk)
    PatientUserFactory(given_names="Alice", birth_names="MARTIN", user__email="alice@exemple.fr")

    log_in("alice@exemple.fr", DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Mon dossier").get_by_role(
        "link", name="Confidentialité"
    ).click()
    # Typed as a patient would: no capitals, no accent, part of a name and a town.
    search = page.get_by_role("searchbox", name="Rechercher un professionnel").first
    search.press_sequentially("helene garn", delay=40)
    results = page.get_by_role("group", name="1 professionnel trouvé pour « helene garn »")
    expect(results).to_be_visible()
    expect(page.locator("#gp-status")).to_have_text("1 professionnel trouvé pour « helene garn »")
    choice = results.get_by_role("radio", name="Hélène Garnier")
    expect(choice).to_have_count(1)
    # Keyboard only: Tab to the result, Space to choose it.
    search.press("Tab")
    page.keyboard.press("Tab")
    expect(choice).to_be_focused()
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    page.get_by_role("form", name="Mon médecin traitant").get_by_role(
        "button", name="Désigner ce médecin"
    ).click()

    expect(page.get_by_text("Votre médecin traitant a été enregistré.")).to_be_visible()
    gp = DesignatedGP.objects.select_related("professional").get(
        patient__user__email="alice@exemple.fr"
    )
    assert gp.professional.rpps == "10100000016"
