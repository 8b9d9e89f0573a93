"""Fixtures for the record tests: access objects and records of a chosen size."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from consent.policy import RecordAccess, own_record_access, professional_record_access
from messpace.accounts.models import Professional, User
from records.models import (
    SECTION_MODELS,
    AuthorKind,
    Entry,
    HabitKind,
    HandicapKind,
    MeasureKind,
    Patient,
    Relative,
    TimelineEvent,
)
from records.services import timeline_event_sync

# Every dated test runs at this instant unless it says otherwise.
NOW = dt.datetime(2024, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def now(time_machine: Any) -> dt.datetime:
    """Freeze the clock at ``NOW`` (Paris time): record dates are relative to today."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def alice_access(alice: Patient) -> RecordAccess:
    assert alice.user is not None
    return own_record_access(alice.user)


@pytest.fixture
def bob_access(bob: Professional, alice: Patient) -> RecordAccess:
    return professional_record_access(bob.user, alice.pk)


def _measure(i: int) -> dict[str, object]:
    kinds = [
        (MeasureKind.WEIGHT, Decimal("70.0") + i % 5, None),
        (MeasureKind.HEIGHT, Decimal("175.0"), None),
        (MeasureKind.BLOOD_PRESSURE, Decimal(120 + i % 10), Decimal(80)),
        (MeasureKind.HEART_RATE, Decimal(60 + i % 20), None),
    ]
    kind, value, value2 = kinds[i % len(kinds)]
    return {"kind": kind, "value": value, "value2": value2}


def entry_data(section: str, i: int, day: dt.date) -> dict[str, object]:
    """Plausible field values for the ``i``-th entry of ``section``, dated ``day``."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    return {
        "condition": lambda: {"label": f"Maladie {i}", "icd10_code": "J45.0", "start_date": day},
        "treatment": lambda: {"medicine": f"Médicament {i}", "dose": "1 cp", "start_date": day},
        "hospitalisation": lambda: {
            "place": f"CHU {i}",
            "reason": f"Motif {i}",
            "admission_date": day,
        },
        "handicap": lambda: {"kind": HandicapKind.MOTOR, "label": f"Handicap {i}", "since": day},
        "allergy": lambda: {"substance": f"Substance {i}", "since": day},
        "family": lambda: {"relative": Relative.MOTHER, "condition": f"Maladie familiale {i}"},
        "habit": lambda: {
            "kind": HabitKind.TOBACCO,
            "description": f"Habitude {i}",
            "quantity": Decimal(i % 40),
            "since": day,
        },
        "vaccination": lambda: {"vaccine": f"Vaccin {i}", "date": day},
        "measure": lambda: {**_measure(i), "measured_at": noon},
    }[section]()


def build_record(
    patient: Patient, size: int, *, professional: User | None = None
) -> dict[str, list[Entry]]:
    """Give ``patient`` ``size`` live entries spread over every section, in bulk.

    One entry in three is written by ``professional`` when given, so that pages
    show professional authors too. The timeline rows are bulk-created to mirror
    the entries, as ``records.services.timeline_event_sync`` would write them.
    """
    today = timezone.localdate()
    by_model: dict[type[Entry], list[Entry]] = {model: [] for model in SECTION_MODELS.values()}
    sections = itertools.cycle(SECTION_MODELS.keys())
    for i in range(size):
        section = next(sections)
        model = SECTION_MODELS[section]
        pro_authored = professional is not None and i % 3 == 0
        by_model[model].append(
            model(
                patient=patient,
                author=professional if pro_authored else patient.user,
                author_kind=AuthorKind.PROFESSIONAL if pro_authored else AuthorKind.PATIENT,
                **entry_data(section, i, today - dt.timedelta(days=1 + i)),
            )
        )
    created: dict[str, list[Entry]] = {}
    events = []
    for model, entries in by_model.items():
        created[model.section] = model.objects.bulk_create(entries)
        for entry in created[model.section]:
            value = entry.event_date()
            if value is None:
                occurred, entry_date = entry.created_at, True
            elif isinstance(value, dt.datetime):
                occurred, entry_date = value, False
            else:
                occurred = timezone.make_aware(dt.datetime.combine(value, dt.time(12, 0)))
                entry_date = False
            events.append(
                TimelineEvent(
                    patient=patient,
                    kind=model.section,
                    visibility_kind=entry.visibility_kind,
                    source_id=entry.pk,
                    occurred_at=occurred,
                    date_is_entry_date=entry_date,
                    title=entry.event_title()[:255],
                    summary=entry.event_summary()[:255],
                    author=entry.author,
                    author_kind=entry.author_kind,
                    author_label="Import",
                )
            )
    TimelineEvent.objects.bulk_create(events)
    return created


@pytest.fixture
def record_of() -> Callable[..., dict[str, list[Entry]]]:
    return build_record


def add_entry(
    patient: Patient,
    model: type[Entry],
    *,
    author: User | None = None,
    author_kind: str = AuthorKind.PATIENT,
    **data: object,
) -> Entry:
    """Store one entry with its timeline row, bypassing the access checks (setup only)."""
    if author is None and author_kind == AuthorKind.PATIENT:
        author = patient.user
    entry = model.objects.create(patient=patient, author=author, author_kind=author_kind, **data)
    timeline_event_sync(entry=entry)
    return entry


@pytest.fixture
def entry_for() -> Callable[..., Entry]:
    return add_entry
