"""Writes to the record: patients, section entries and their timeline events.

Every function validates, writes inside ``transaction.atomic`` and keeps the
denormalised timeline row of an entry in step with the entry itself. The
record's states are written by :mod:`records.lifecycle.services` only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from consent.models import AccessAction
from messpace.accounts.validators import normalize_nir, normalize_phone
from records import selectors
from records.lifecycle.services import record_create
from records.models import MARKUP_RE, AuthorKind, Entry, Patient, TimelineEvent

if TYPE_CHECKING:
    from consent.policy import RecordAccess
    from messpace.accounts.models import User

FR_POSTCODE_RE = re.compile(r"[0-9]{5}")

E = TypeVar("E", bound=Entry)

_DELETED_MEANWHILE = _("Cet élément a été supprimé entre-temps : il ne peut plus être modifié.")

# Fields only the services set: callers pass the section's own fields.
PROTECTED_FIELDS = frozenset(
    {"id", "pk", "patient", "patient_id", "author", "author_id", "author_kind"}
    | {"created_at", "updated_at", "deleted_at", "deleted_by", "deleted_by_id"}
    | {"hidden_from_professionals"}
)


def _check_data(data: Mapping[str, Any]) -> None:
    protected = PROTECTED_FIELDS.intersection(data)
    if protected:
        # A programming error, not a user's: who owns and wrote an entry is never data.
        raise TypeError(f"Protected entry fields cannot be set: {sorted(protected)}")


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
    # Stored text is written in the site's language, whoever's browser asked.
    with translation.override(settings.LANGUAGE_CODE):
        author_label = _author_label(entry.author, entry.author_kind)
        title, summary = entry.event_title(), entry.event_summary()
    event, _created = TimelineEvent.objects.update_or_create(
        kind=entry.section,
        source_id=entry.pk,
        defaults={
            "patient_id": entry.patient_id,
            "occurred_at": occurred_at,
            "date_is_entry_date": is_entry_date,
            "title": title[:255],
            "summary": summary[:255],
            "author_id": entry.author_id,
            "author_kind": entry.author_kind,
            "author_label": author_label[:200],
            "deleted": entry.is_deleted,
            "visibility_kind": entry.visibility_kind,
            "hidden_from_professionals": entry.hidden_from_professionals,
            "confidential_from_guardians": entry.confidential_from_guardians,
        },
    )
    return event


class DuplicateEntry(ValidationError):
    """The entry equals one already in the record (``existing``, as the actor sees them)."""

    def __init__(self, existing: Sequence[Entry]) -> None:
        super().__init__(_("Un élément identique figure déjà dans ce dossier."), code="duplicate")
        self.existing = existing


def entry_create(
    *,
    access: RecordAccess,
    model: type[E],
    data: Mapping[str, Any],
    allow_duplicate: bool = False,
) -> E:
    """Add an entry to a section of ``access.patient``'s record, authored by the actor.

    Raises ``PermissionDenied`` when the access is read-only,
    ``DuplicateEntry`` when an entry the actor sees is the same one (see
    ``Entry.identity_fields``) and ``allow_duplicate`` was not given, and
    ``ValidationError`` (with French messages per field) when the data breaks a
    rule; nothing is stored in any case. Adds to one record are serialised on
    the patient's row, so a form sent four times stores one entry.
    """
    if not access.can_write:
        raise PermissionDenied
    _check_data(data)
    if access.is_self:
        author_kind = AuthorKind.PATIENT
    elif access.role == AuthorKind.CARER:
        author_kind = AuthorKind.CARER
    elif access.role == AuthorKind.GUARDIAN:
        author_kind = AuthorKind.GUARDIAN
    else:
        author_kind = AuthorKind.PROFESSIONAL
    entry = model(patient=access.patient, author=access.actor, author_kind=author_kind, **data)
    entry.full_clean(exclude=["patient", "author"])
    with transaction.atomic():
        # Lock the patient's row: two identical posts cannot both pass the check.
        list(Patient.objects.select_for_update().filter(pk=access.patient.pk).values_list("pk"))
        if not allow_duplicate:
            existing = selectors.entry_duplicates(access=access, model=model, data=data)
            if existing:
                raise DuplicateEntry(existing)
        entry.save()
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.WRITE, what=model.section, object_id=entry.pk)
    return entry


def entry_update(*, access: RecordAccess, entry: E, data: Mapping[str, Any]) -> E:
    """Change an entry the actor may modify (see ``RecordAccess.may_modify``).

    Raises ``PermissionDenied`` when the actor may not modify it and
    ``ValidationError`` when the data breaks a rule or the entry was deleted
    meanwhile; the stored row is then unchanged.
    """
    if not access.may_modify(entry):
        raise PermissionDenied
    _check_data(data)
    if entry.is_deleted:
        raise ValidationError(_DELETED_MEANWHILE, code="deleted")
    for name, value in data.items():
        setattr(entry, name, value)
    entry.full_clean(exclude=["patient", "author"])
    model = type(entry)
    with transaction.atomic():
        # Lock the live row so a concurrent delete is neither undone nor overwritten.
        if not model.live.select_for_update().filter(pk=entry.pk).exists():
            raise ValidationError(_DELETED_MEANWHILE, code="deleted")
        entry.save(update_fields=[*_field_names(model, data), "updated_at"])
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.WRITE, what=entry.section, object_id=entry.pk)
    return entry


def _field_names(model: type[Entry], data: Mapping[str, Any]) -> list[str]:
    return [model._meta.get_field(name).name for name in data]


def entry_delete(*, access: RecordAccess, entry: Entry) -> None:
    """Soft-delete an entry, keeping who deleted it and when; it leaves the timeline.

    Deleting an entry already deleted changes nothing: the first trace is kept.
    """
    if not access.may_modify(entry):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        # Claimed with a conditional UPDATE so a second delete keeps the first trace.
        claimed = (
            type(entry)
            .live.filter(pk=entry.pk)
            .update(deleted_at=now, deleted_by=access.actor, updated_at=now)
        )
        if not claimed:
            entry.refresh_from_db(fields=["deleted_at", "deleted_by", "updated_at"])
            return
        entry.deleted_at, entry.deleted_by, entry.updated_at = now, access.actor, now
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.DELETE, what=entry.section, object_id=entry.pk)


def entry_import(*, patient: Patient, model: type[E], data: Mapping[str, Any]) -> E:
    """Add an entry coming from an import (no author), e.g. demo data or a migration."""
    _check_data(data)
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
    """Register an insured person and create their record in state CREATED.

    The NIR may be typed with spaces, dots or a lower-case 2a/2b: it is stored
    compact. Raises ``ValidationError`` (French messages) and stores nothing
    when the identity is invalid.
    """
    data = dict(data)
    if isinstance(data.get("nir"), str):
        data["nir"] = normalize_nir(data["nir"])
    patient = Patient(user=user, **data)
    patient.full_clean()
    with transaction.atomic():
        patient.save()
        record_create(patient=patient)
    return patient


CONTACT_FIELDS = ("address_line1", "address_line2", "postcode", "city", "email", "phone")


def patient_contact_update(*, access: RecordAccess, data: Mapping[str, Any]) -> Patient:
    """Change the patient's contact details (address, email, phone) and nothing else.

    Identity (INS, names, birth date, sex) comes from the national identity
    reference and is not editable here. The phone is stored in E.164 form.
    Raises ``ValidationError`` with French messages and stores nothing on bad input.
    """
    unknown = set(data) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Not contact fields: {', '.join(sorted(unknown))}")
    if not access.can_write or not access.acts_as_patient:
        raise PermissionDenied
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=access.patient.pk)
        for name, value in data.items():
            setattr(patient, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        for name in CONTACT_FIELDS:
            value = getattr(patient, name)
            if isinstance(value, str) and MARKUP_RE.search(value):
                errors.setdefault(name, []).append(
                    str(_("Les balises HTML ou le code ne sont pas acceptés dans ce champ."))
                )
        if (
            patient.country == "FR"
            and patient.postcode
            and not FR_POSTCODE_RE.fullmatch(patient.postcode)
        ):
            errors.setdefault("postcode", []).append(
                str(_("Le code postal doit comporter 5 chiffres."))
            )
        if errors:
            raise ValidationError(errors)
        patient.full_clean()
        if patient.phone:
            patient.phone = normalize_phone(patient.phone)
        patient.save(update_fields=list(data))
        access.log(action=AccessAction.WRITE, what="contact")
    return patient
