"""Screenshot of a patient's dashboard with realistic data, for the documentation.

Not collected by the suite (the name does not start with ``test_``). Run it with:

    DATABASE_URL=... REDIS_URL=... .venv/bin/python tests/browser/screenshot.py

or ``.venv/bin/pytest tests/browser/screenshot.py``. It writes ``docs/img/dashboard.png``
(1280×900) and, next to it, ``docs/img/measures.png`` (the measures and their charts).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from records.models import Patient

# Django's modules are imported inside the functions: run as a script, this file
# is read before pytest-django has configured the settings.

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"


def seed_record(patient: Patient) -> None:
    """Entries a forty-year-old with a few health topics could have entered herself."""
    from django.utils import timezone

    from consent.policy import own_record_access
    from records import services
    from records.models import Allergy, Condition, Measure, Treatment, Vaccination

    assert patient.user is not None
    access = own_record_access(patient.user)
    now = timezone.localtime().replace(hour=8, minute=30, second=0, microsecond=0)
    today = now.date()

    def add(model: type, **data: object) -> None:
        services.entry_create(access=access, model=model, data=data)

    def ago(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    add(Measure, kind="height", value=Decimal("168"), measured_at=ago(400))
    for days, kg in [(330, "74.8"), (270, "73.9"), (210, "73.1"), (150, "72.6"), (90, "71.8")]:
        add(Measure, kind="weight", value=Decimal(kg), measured_at=ago(days))
    add(Measure, kind="weight", value=Decimal("71.2"), measured_at=ago(6))
    for days, sys_, dia in [(200, 142, 91), (120, 136, 88), (60, 131, 84), (5, 127, 81)]:
        add(
            Measure,
            kind="blood_pressure",
            value=Decimal(sys_),
            value2=Decimal(dia),
            measured_at=ago(days),
        )
    add(Measure, kind="heart_rate", value=Decimal("68"), measured_at=ago(5))
    add(Measure, kind="blood_glucose", value=Decimal("1.04"), measured_at=ago(30))

    add(
        Condition,
        label="Hypertension artérielle",
        icd10_code="I10",
        status="active",
        start_date=today - dt.timedelta(days=900),
    )
    add(
        Condition,
        label="Asthme",
        icd10_code="J45.9",
        status="remission",
        start_date=dt.date(2001, 9, 1),
    )
    add(
        Treatment,
        medicine="Amlodipine 5 mg",
        dose="1 comprimé",
        frequency="le matin",
        start_date=today - dt.timedelta(days=880),
        prescriber="Dr Bernard Durand",
    )
    add(
        Treatment,
        medicine="Salbutamol 100 µg",
        dose="2 bouffées",
        frequency="si besoin",
        start_date=dt.date(2015, 3, 2),
    )
    add(
        Allergy,
        kind="allergy",
        substance="Pénicilline",
        reaction="Urticaire",
        severity="moderate",
        since=dt.date(1998, 6, 1),
    )
    add(
        Allergy,
        kind="intolerance",
        substance="Lactose",
        reaction="Troubles digestifs",
        severity="mild",
    )
    add(
        Vaccination,
        vaccine="Boostrixtetra",
        target_disease="Diphtérie, tétanos, coqueluche, poliomyélite",
        dose="Rappel",
        date=today - dt.timedelta(days=700),
        vaccinator="Dr Bernard Durand",
    )
    add(
        Vaccination,
        vaccine="Vaxigrip Tetra",
        target_disease="Grippe",
        dose="Saisonnière",
        date=today - dt.timedelta(days=45),
    )


@pytest.mark.browser
def test_dashboard_screenshot(page: Page, log_in: Callable[[str, str], None]) -> None:
    from tests.factories import DEFAULT_PASSWORD, PatientUserFactory

    patient = PatientUserFactory(
        given_names="Camille Anne",
        birth_names="LEROY",
        sex="F",
        birth_date=dt.date(1984, 5, 12),
        user__email="camille.leroy@exemple.fr",
    )
    seed_record(patient)

    log_in("camille.leroy@exemple.fr", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Camille")
    page.wait_for_load_state("networkidle")
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG_DIR / "dashboard.png"))

    page.get_by_role("link", name="Voir toutes les mesures et les courbes").click()
    expect(page.get_by_role("img", name="Poids au fil du temps")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(IMG_DIR / "measures.png"))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
