"""Writes to a record's lifecycle: its creation, every change of state, closing and
reopening (R1111-36).

**One path changes a state.** :func:`record_transition` (one record) and
:func:`records_transition` (many, for the campaign paths) are the only code
that writes ``Record.state``; :func:`record_create` and :func:`records_create`
the only code that inserts records. Each move is claimed with a conditional
UPDATE and written to ``RecordTransition`` in the same transaction, so two
concurrent callers cannot both apply it, and the rules that go with a move
hold whoever asks for it: reopening a closed record ends its closure, so
that no erasure runs on an open record. On PostgreSQL a deferred constraint
trigger refuses, at commit, a state change without its transition row
(migration ``records.0013``).

**Closing.** The holder (the patient, or a legal guardian while the patient is
a minor) closes the record: it moves to ``closed`` and every path into it
answers 404, since the access policy opens ``active`` records only; nothing
is deleted, so reopening restores it in full. The data stays archived for
ten years, then :mod:`records.lifecycle.erasure` erases it; a request for
erasure brings that forward to ``MESSPACE_ERASURE_GRACE_DAYS`` after the
request (at most three months), and reopening before cancels it. Closing,
reopening and the request are written in the record's access history,
whoever does them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import AccessAction, AccessBasis, AccessLog
from records.lifecycle.models import (
    ARCHIVE_YEARS,
    RECORD_TRANSITIONS,
    ClosedByRole,
    Record,
    RecordClosure,
    RecordState,
    RecordTransition,
)
from records.lifecycle.selectors import closed_record_for
from records.models import MINOR_CONFIDENTIALITY_AGE, Patient

if TYPE_CHECKING:
    from consent.policy import RecordAccess
    from messpace.accounts.models import User


# --- Creation and moves ----------------------------------------------------------------------


def record_create(*, patient: Patient) -> Record:
    """The record of a newly registered person, in state ``created``, with its first
    transition. The caller holds the transaction that saved the patient."""
    with transaction.atomic(savepoint=False):
        record = Record.objects.create(patient=patient, state=RecordState.CREATED)
        RecordTransition.objects.create(record=record, from_state="", to_state=RecordState.CREATED)
    return record


def records_create(*, patients: Sequence[Patient]) -> list[Record]:
    """:func:`record_create` for many saved patients at once: two INSERTs in all."""
    with transaction.atomic(savepoint=False):
        records = Record.objects.bulk_create(
            [Record(patient=patient, state=RecordState.CREATED) for patient in patients]
        )
        RecordTransition.objects.bulk_create(
            [
                RecordTransition(record=record, from_state="", to_state=RecordState.CREATED)
                for record in records
            ]
        )
    return records


def _state_label(state: str) -> str:
    return str(dict(RecordState.choices).get(state, state))


def _check_move(from_state: str, to_state: str) -> None:
    if to_state not in RECORD_TRANSITIONS.get(from_state, frozenset()):
        raise ValidationError(
            _("Le dossier ne peut pas passer de l’état « %(from)s » à l’état « %(to)s »."),
            code="bad_transition",
            params={"from": _state_label(from_state), "to": _state_label(to_state)},
        )


def records_transition(
    *,
    record_ids: Iterable[int],
    from_state: str,
    to_state: str,
    reason: str,
    by: User | None = None,
    at: dt.datetime | None = None,
) -> list[int]:
    """Move every record of ``record_ids`` still in ``from_state`` to ``to_state``;
    returns the ids moved, in id order.

    One conditional UPDATE, then one ``RecordTransition`` per record moved, in
    one transaction; a record no longer in ``from_state`` (opposed, opened or
    closed meanwhile) is left alone and not returned. Raises ``ValidationError``
    for a move the lifecycle does not allow. ``deleted`` is for the erasure
    (:mod:`records.lifecycle.erasure`), which erases the data in the same
    transaction. Reopening ends the records' closures: their rows are locked first, in the order erasure takes them
    (closure, then record), so that a reopening and an erasure never deadlock.
    """
    _check_move(from_state, to_state)
    ids = sorted(set(record_ids))
    if not ids:
        return []
    moment = at or timezone.now()
    # No savepoint of its own: a failure here fails the caller's transaction whole.
    with transaction.atomic(savepoint=False):
        reopening = from_state == RecordState.CLOSED and to_state == RecordState.ACTIVE
        if reopening:
            list(
                RecordClosure.objects.select_for_update()
                .filter(record_id__in=ids, reopened_at__isnull=True, erased_at__isnull=True)
                .order_by("record_id")
                .values_list("pk", flat=True)
            )
        moved = sorted(
            Record.objects.filter(pk__in=ids, state=from_state)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not moved:
            return []
        Record.objects.filter(pk__in=moved, state=from_state).update(
            state=to_state, state_changed_at=moment
        )
        RecordTransition.objects.bulk_create(
            [
                RecordTransition(
                    record_id=pk,
                    from_state=from_state,
                    to_state=to_state,
                    at=moment,
                    by=by,
                    reason=reason[:255],
                )
                for pk in moved
            ]
        )
        if reopening:
            RecordClosure.objects.filter(
                record_id__in=moved, reopened_at__isnull=True, erased_at__isnull=True
            ).update(reopened_at=moment, reopened_by=by)
    return moved


def record_transition(
    *,
    record: Record,
    to_state: str,
    by: User | None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Record:
    """Move one record from the state it was read in to ``to_state``, keeping the history.

    Raises ``ValidationError`` when the lifecycle does not allow the move, or
    when the record's state changed since it was read (a concurrent caller
    won); the record is then unchanged. A record is deleted only by its
    erasure (:mod:`records.lifecycle.erasure`), which erases the data and
    keeps the proof in the same transaction: not here.
    """
    _check_move(record.state, to_state)
    if to_state == RecordState.DELETED:
        raise ValidationError(
            _("Un dossier n’est supprimé que par son effacement, après sa fermeture."),
            code="erasure_only",
        )
    moment = at or timezone.now()
    moved = records_transition(
        record_ids=[record.pk],
        from_state=record.state,
        to_state=to_state,
        reason=reason,
        by=by,
        at=moment,
    )
    if not moved:
        raise ValidationError(
            _("L’état du dossier a changé entre-temps : rechargez la page et recommencez."),
            code="race",
        )
    record.state = to_state
    record.state_changed_at = moment
    return record


# --- Closing and reopening, by the holder -----------------------------------------------------


def _holder_access_log(
    patient: Patient, user: User, role: str, action: str, what: str = "record"
) -> None:
    """Lifecycle acts are logged for the holder too: the history must say who closed."""
    AccessLog.objects.create(
        patient=patient,
        actor=user,
        actor_label=user.get_full_name() or user.email,
        role=role,
        basis=AccessBasis.GUARDIAN if role == ClosedByRole.GUARDIAN else AccessBasis.HOLDER,
        action=action,
        what=what,
    )


GUARDIAN_ERASURE_REFUSED = gettext_lazy(
    "La suppression du dossier d’un mineur de 15 ans ou plus ne se demande pas ici : "
    "elle se décide avec lui, auprès du service d’assistance. Vous pouvez fermer le dossier."
)


def _check_may_ask_erasure(patient: Patient, role: str) -> None:
    """From 15 a minor may keep care secret from their guardians (L1111-5): a
    guardian alone cannot have such a record erased. The refusal is the same
    whether or not the record holds such items, so it reveals nothing."""
    if role == ClosedByRole.GUARDIAN and patient.age >= MINOR_CONFIDENTIALITY_AGE:
        raise ValidationError(str(GUARDIAN_ERASURE_REFUSED), code="guardian_erasure")


def _erase_after(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.MESSPACE_ERASURE_GRACE_DAYS)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_close(*, access: RecordAccess, request_deletion: bool = False) -> RecordClosure:
    """The holder closes their active record (and may ask for its erasure at once).

    Only the patient or a legal guardian may; carers and professionals get
    ``PermissionDenied``. The record becomes invisible to everyone; its data
    is kept, archived, for ten years.
    """
    if not access.acts_as_patient:
        raise PermissionDenied
    role = ClosedByRole.PATIENT if access.is_self else ClosedByRole.GUARDIAN
    if request_deletion:
        _check_may_ask_erasure(access.patient, role)
    now = timezone.now()
    record_id = Record.objects.values_list("pk", flat=True).get(patient_id=access.patient.pk)
    with transaction.atomic():
        moved = records_transition(
            record_ids=[record_id],
            from_state=RecordState.ACTIVE,
            to_state=RecordState.CLOSED,
            by=access.actor,
            at=now,
            reason=(
                "Fermeture par le titulaire"
                if role == ClosedByRole.PATIENT
                else "Fermeture par un représentant légal"
            ),
        )
        if not moved:
            raise ValidationError(
                _("Ce dossier n’est plus ouvert : rechargez la page."), code="not_active"
            )
        closure = RecordClosure.objects.create(
            record_id=record_id,
            closed_at=now,
            closed_by=access.actor,
            closed_by_role=role,
            keep_until=_add_years(timezone.localdate(now), ARCHIVE_YEARS),
            deletion_requested_at=now if request_deletion else None,
            deletion_requested_by_role=role if request_deletion else "",
            erase_after=_erase_after(now) if request_deletion else None,
        )
        _holder_access_log(access.patient, access.actor, role, AccessAction.CLOSE)
        if request_deletion:
            _holder_access_log(
                access.patient, access.actor, role, AccessAction.DELETE, what="deletion"
            )
    return closure


def record_reopen(*, user: User, patient_id: int | None = None) -> Record:
    """The holder reopens a closed record: it comes back as it was, a pending
    request for erasure is cancelled (the closure ends). 404 for anyone else,
    and once the erasure has started."""
    held = closed_record_for(user, patient_id)
    now = timezone.now()
    with transaction.atomic():
        # An erasure in progress holds the closure row until it commits; the
        # record is then deleted and nothing moves.
        moved = records_transition(
            record_ids=[held.closure.record_id],
            from_state=RecordState.CLOSED,
            to_state=RecordState.ACTIVE,
            by=user,
            at=now,
            reason=(
                "Réouverture par le titulaire"
                if held.role == ClosedByRole.PATIENT
                else "Réouverture par un représentant légal"
            ),
        )
        if not moved:
            raise Http404
        _holder_access_log(held.patient, user, held.role, AccessAction.REOPEN)
    return Record.objects.get(pk=held.closure.record_id)


def closure_request_deletion(*, user: User, patient_id: int | None = None) -> RecordClosure:
    """The holder of a closed record asks for its erasure; safe twice (the first
    request's date stands)."""
    held = closed_record_for(user, patient_id)
    _check_may_ask_erasure(held.patient, held.role)
    now = timezone.now()
    with transaction.atomic():
        asked = RecordClosure.objects.filter(
            pk=held.closure.pk,
            deletion_requested_at__isnull=True,
            reopened_at__isnull=True,
            erased_at__isnull=True,
        ).update(
            deletion_requested_at=now,
            deletion_requested_by_role=held.role,
            erase_after=_erase_after(now),
        )
        if asked:
            _holder_access_log(held.patient, user, held.role, AccessAction.DELETE, "deletion")
    return RecordClosure.objects.get(pk=held.closure.pk)


def closure_cancel_deletion(*, user: User, patient_id: int | None = None) -> RecordClosure:
    """The holder withdraws their request before the erasure: the record stays
    closed and archived. Too late once the erasure has started."""
    held = closed_record_for(user, patient_id)
    with transaction.atomic():
        cancelled = RecordClosure.objects.filter(
            pk=held.closure.pk,
            deletion_requested_at__isnull=False,
            reopened_at__isnull=True,
            erased_at__isnull=True,
        ).update(deletion_requested_at=None, deletion_requested_by_role="", erase_after=None)
        if not cancelled:
            raise ValidationError(_("Aucune demande de suppression n’est en attente."))
        _holder_access_log(held.patient, user, held.role, AccessAction.WRITE, "deletion")
    return RecordClosure.objects.get(pk=held.closure.pk)
