"""Writes to the record: patients, records, section entries and their timeline events.

Every function validates, writes inside ``transaction.atomic`` and keeps the
denormalised timeline row of an entry in step with the entry itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from consent.models import AccessAction
from records.models import (
    AuthorKind,
    Entry,
    Patient,
    Record,
    RecordState,
    RecordTransition,
    TimelineEvent,
)

if TYPE_CHECKING:
    from consent.policy import RecordAccess
    from messpace.accounts.models import User

E = TypeVar("E", bound=Entry)


def _author_label(user: User | None, kind: str) -> str:
    if user is None:
        return "Import"
    if kind == AuthorKind.PROFESSIONAL and user.is_professional:
        return f"{user.professional.display_name} ({user.professional.title})"
    return user.get_full_name() or user.email


def _occurred_at(entry: Entry) -> tuple[dt.datetime, bool]:
    value = entry.event_date() if entry.event_date_field else None
    if value is None:
        return entry.created_at, True
    if isinstance(value, dt.datetime):
        return value, False
    # A date without a time: place it at noon, Paris time, so it sorts within its day.
    return timezone.make_aware(dt.datetime.combine(value, dt.time(12, 0))), False


def timeline_event_sync(*, entry: Entry) -> TimelineEvent:
    """Create or refresh the timeline row mirroring ``entry``. Safe to call twice."""
    occurred_at, is_entry_date = _occurred_at(entry)
    author_label = _author_label(entry.author, entry.author_kind)
    event, _created = TimelineEvent.objects.update_or_create(
        kind=entry.section,
        source_id=entry.pk,
        defaults={
            "patient_id": entry.patient_id,
            "occurred_at": occurred_at,
            "date_is_entry_date": is_entry_date,
            "title": entry.event_title()[:255],
            "summary": entry.event_summary()[:255],
            "author_id": entry.author_id,
            "author_kind": entry.author_kind,
            "author_label": author_label[:200],
            "deleted": entry.is_deleted,
        },
    )
    return event


def entry_create(*, access: RecordAccess, model: type[E], data: Mapping[str, Any]) -> E:
    """Add an entry to a section of ``access.patient``'s record, authored by the actor.

    Raises ``PermissionDenied`` when the access is read-only and
    ``ValidationError`` (with French messages per field) when the data breaks a
    rule; nothing is stored in either case.
    """
    if not access.can_write:
        raise PermissionDenied
    author_kind = AuthorKind.PATIENT if access.is_self else AuthorKind.PROFESSIONAL
    entry = model(patient=access.patient, author=access.actor, author_kind=author_kind, **data)
    entry.full_clean(exclude=["patient", "author"])
    with transaction.atomic():
        entry.save()
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.WRITE, what=model.section, object_id=entry.pk)
    return entry


def entry_update(*, access: RecordAccess, entry: E, data: Mapping[str, Any]) -> E:
    """Change an entry the actor may modify (see ``RecordAccess.may_modify``)."""
    if not access.may_modify(entry):
        raise PermissionDenied
    for name, value in data.items():
        setattr(entry, name, value)
    entry.full_clean(exclude=["patient", "author"])
    with transaction.atomic():
        entry.save()
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.WRITE, what=entry.section, object_id=entry.pk)
    return entry


def entry_delete(*, access: RecordAccess, entry: Entry) -> None:
    """Soft-delete an entry, keeping who deleted it and when; it leaves the timeline."""
    if not access.may_modify(entry):
        raise PermissionDenied
    with transaction.atomic():
        entry.deleted_at = timezone.now()
        entry.deleted_by = access.actor
        entry.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.DELETE, what=entry.section, object_id=entry.pk)


def entry_import(*, patient: Patient, model: type[E], data: Mapping[str, Any]) -> E:
    """Add an entry coming from an import (no author), e.g. demo data or a migration."""
    entry = model(patient=patient, author=None, author_kind=AuthorKind.IMPORT, **data)
    entry.full_clean(exclude=["patient", "author"])
    with transaction.atomic():
        entry.save()
        timeline_event_sync(entry=entry)
    return entry


def timeline_rebuild(*, patient_id: int) -> int:
    """Rewrite every timeline row of a patient's entries from the entries. Idempotent.

    Used after a bulk import or to repair drift; returns the number of rows written.
    """
    from records.models import SECTION_MODELS

    written = 0
    with transaction.atomic():
        for model in SECTION_MODELS.values():
            for entry in model.objects.filter(patient_id=patient_id).select_related(
                "author", "author__professional"
            ):
                timeline_event_sync(entry=entry)
                written += 1
    return written


def patient_create(*, data: Mapping[str, Any], user: User | None = None) -> Patient:
    """Register an insured person and create their record in state CREATED."""
    patient = Patient(user=user, **data)
    patient.full_clean()
    with transaction.atomic():
        patient.save()
        record = Record.objects.create(patient=patient, state=RecordState.CREATED)
        RecordTransition.objects.create(record=record, from_state="", to_state=RecordState.CREATED)
    return patient


def record_transition(
    *, record: Record, to_state: str, by: User | None, reason: str = ""
) -> Record:
    """Move a record to ``to_state`` if the lifecycle allows it, keeping the history.

    The move is claimed with a conditional UPDATE so two concurrent callers
    cannot both apply it; the loser gets a ``ValidationError``.
    """
    if not record.can_move_to(to_state):
        raise ValidationError(
            f"Transition {record.state} → {to_state} is not allowed.", code="bad_transition"
        )
    now = timezone.now()
    with transaction.atomic():
        updated = Record.objects.filter(pk=record.pk, state=record.state).update(
            state=to_state, state_changed_at=now
        )
        if updated != 1:
            raise ValidationError("The record changed state meanwhile.", code="race")
        RecordTransition.objects.create(
            record=record, from_state=record.state, to_state=to_state, at=now, by=by, reason=reason
        )
    record.state = to_state
    record.state_changed_at = now
    return record
