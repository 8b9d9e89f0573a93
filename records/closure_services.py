"""Closing a record, reopening it, and erasing it (R1111-36).

The holder (the patient, or a legal guardian while the patient is a minor)
closes the record: it moves to ``closed`` and every path into it answers
404, since the access policy opens ``active`` records only; nothing is
deleted, so reopening restores it in full. The data stays archived for ten
years, then ``records_erase_due`` (beat) erases it. A request for erasure
brings that forward to ``MESSPACE_ERASURE_GRACE_DAYS`` after the request
(at most three months); reopening before cancels it.

Erasing deletes every row about the patient's health and care (entries,
timeline, documents and their encrypted files, grants and settings) and
keeps the identity that honours the request (NIR, names, birth date: so no
later campaign creates the record again), the lifecycle history and the
closure row itself, which is the proof: who asked, when, when it was done
and how many rows of each kind went. Closing, reopening and the request
are written in the record's access history, whoever does them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import (
    AccessAction,
    AccessBasis,
    AccessLog,
    Block,
    CareRelationship,
    CarerGrant,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Guardianship,
    Share,
)
from consent.policy import RecordAccess
from documents.blobs import blobs_delete_after_erasure
from documents.models import Document, Upload
from messpace.accounts.models import User
from records.campaigns import Notice, NoticeDelivery
from records.closures import ARCHIVE_YEARS, ClosedByRole, ErasureCause, RecordClosure
from records.cohorts import CohortMember, GuardianToInform
from records.models import (
    MAJORITY_AGE,
    MINOR_CONFIDENTIALITY_AGE,
    SECTION_MODELS,
    Patient,
    Record,
    RecordState,
    RecordTransition,
    TimelineEvent,
    latest_birth_date_for_age,
)

log = logging.getLogger(__name__)

# Erasure of a closure claimed this long ago and not finished is taken over.
ERASURE_CLAIM = dt.timedelta(hours=1)
# The law's limit between the request and the erasure.
ERASURE_LIMIT = dt.timedelta(days=90)

# Every model pointing at a patient or a record is either erased with the
# record or kept, on purpose; a test checks that none is forgotten.
ERASED_MODELS: tuple[type[models.Model], ...] = (
    TimelineEvent,
    *SECTION_MODELS.values(),
    Document,
    Upload,
    CareRelationship,
    DesignatedGP,
    Share,
    Block,
    EmergencyAccess,
    ConsentSettings,
    CarerGrant,
    Guardianship,
    GuardianToInform,
)
# Kept: the record and its lifecycle (no health data), the proof of erasure,
# the notice that informed the person (for the campaign's figures; its
# addresses are wiped), the import line that created the record, and the
# access history: who opened the record, when, on what basis and which
# section, never content. It is append-only down to a database trigger, and
# it is the professionals' accountability as much as the patient's record.
KEPT_MODELS: tuple[type[models.Model], ...] = (
    AccessLog,
    Record,
    RecordTransition,
    RecordClosure,
    Notice,
    CohortMember,
)


@dataclass(frozen=True)
class ClosedRecord:
    """A closed record as its holder sees it: no health data, only its closure."""

    patient: Patient
    closure: RecordClosure
    role: str  # ClosedByRole: patient or guardian

    @property
    def may_ask_erasure(self) -> bool:
        return not (
            self.role == ClosedByRole.GUARDIAN and self.patient.age >= MINOR_CONFIDENTIALITY_AGE
        )

    @property
    def erase_by(self) -> dt.datetime | None:
        """When the erasure will have happened at the latest, if requested."""
        if self.closure.deletion_requested_at is None:
            return None
        return self.closure.deletion_requested_at + ERASURE_LIMIT


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
    with transaction.atomic():
        moved = Record.objects.filter(
            patient_id=access.patient.pk, state=RecordState.ACTIVE
        ).update(state=RecordState.CLOSED, state_changed_at=now)
        if not moved:
            raise ValidationError(
                _("Ce dossier n’est plus ouvert : rechargez la page."), code="not_active"
            )
        record = Record.objects.get(patient_id=access.patient.pk)
        RecordTransition.objects.create(
            record=record,
            from_state=RecordState.ACTIVE,
            to_state=RecordState.CLOSED,
            at=now,
            by=access.actor,
            reason=(
                "Fermeture par le titulaire"
                if role == ClosedByRole.PATIENT
                else "Fermeture par un représentant légal"
            ),
        )
        closure = RecordClosure.objects.create(
            record=record,
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


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def closed_record_for(user: User, patient_id: int | None = None) -> ClosedRecord:
    """The closed record this user holds: their own (``patient_id`` None) or a
    minor's they are a live guardian of; 404 otherwise, whatever the reason."""
    if not user.is_authenticated:
        raise Http404
    patients = Patient.objects.filter(record__state=RecordState.CLOSED)
    if patient_id is None:
        patient = patients.filter(user_id=user.pk).first()
        role = ClosedByRole.PATIENT
    else:
        today = timezone.localdate()
        patient = (
            patients.filter(
                pk=patient_id,
                birth_date__gt=latest_birth_date_for_age(today, MAJORITY_AGE),
                guardianships__guardian_id=user.pk,
                guardianships__ended_at__isnull=True,
            )
            .exclude(user_id=user.pk)
            .first()
        )
        role = ClosedByRole.GUARDIAN
    if patient is None:
        raise Http404
    closure = RecordClosure.objects.filter(
        record__patient_id=patient.pk, reopened_at__isnull=True, erased_at__isnull=True
    ).first()
    if closure is None:
        raise Http404
    return ClosedRecord(patient=patient, closure=closure, role=role)


def guardian_closed_records(user: User) -> list[ClosedRecord]:
    """The closed records of the minors this user is a live guardian of."""
    today = timezone.localdate()
    ids = Guardianship.objects.filter(
        guardian_id=user.pk,
        ended_at__isnull=True,
        patient__record__state=RecordState.CLOSED,
        patient__birth_date__gt=latest_birth_date_for_age(today, MAJORITY_AGE),
    ).values_list("patient_id", flat=True)
    found = []
    for patient_id in ids:
        try:
            found.append(closed_record_for(user, patient_id))
        except Http404:
            continue
    return found


def record_reopen(*, user: User, patient_id: int | None = None) -> Record:
    """The holder reopens a closed record: it comes back as it was, a pending
    request for erasure is cancelled. 404 for anyone else."""
    held = closed_record_for(user, patient_id)
    now = timezone.now()
    with transaction.atomic():
        # An erasure in progress holds the closure row until it commits; then
        # ``erased_at`` is set and this matches nothing.
        reopened = RecordClosure.objects.filter(
            pk=held.closure.pk, reopened_at__isnull=True, erased_at__isnull=True
        ).update(reopened_at=now, reopened_by=user)
        moved = (
            Record.objects.filter(patient_id=held.patient.pk, state=RecordState.CLOSED).update(
                state=RecordState.ACTIVE, state_changed_at=now
            )
            if reopened
            else 0
        )
        if not moved:
            # Erasure started (or another request won): nothing to reopen.
            transaction.set_rollback(True)
            raise Http404
        record = Record.objects.get(patient_id=held.patient.pk)
        RecordTransition.objects.create(
            record=record,
            from_state=RecordState.CLOSED,
            to_state=RecordState.ACTIVE,
            at=now,
            by=user,
            reason=(
                "Réouverture par le titulaire"
                if held.role == ClosedByRole.PATIENT
                else "Réouverture par un représentant légal"
            ),
        )
        _holder_access_log(held.patient, user, held.role, AccessAction.REOPEN)
    return record


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


# --- Erasure (beat) ---


def _due(moment: dt.datetime) -> Q:
    """Closures whose erasure is due at ``moment``: asked for and past the grace
    period, or archived for ten years."""
    return Q(reopened_at__isnull=True, erased_at__isnull=True) & (
        Q(erase_after__lte=moment) | Q(keep_until__lt=timezone.localdate(moment))
    )


def _cause(closure: RecordClosure, moment: dt.datetime) -> str | None:
    """Why ``closure`` is due for erasure at ``moment``, or None if it is not."""
    if not closure.is_open:
        return None
    if closure.erase_after is not None and closure.erase_after <= moment:
        return ErasureCause.REQUEST
    if closure.keep_until < timezone.localdate(moment):
        return ErasureCause.RETENTION
    return None


def _guardian_requests_lapse(moment: dt.datetime) -> int:
    """A guardian's request to erase a minor's record lapses when the minor comes
    of age before it is carried out: the record is then theirs to decide on."""
    adult_born_by = latest_birth_date_for_age(timezone.localdate(moment), MAJORITY_AGE)
    return RecordClosure.objects.filter(
        reopened_at__isnull=True,
        erased_at__isnull=True,
        deletion_requested_by_role=ClosedByRole.GUARDIAN,
        record__patient__birth_date__lte=adult_born_by,
    ).update(deletion_requested_at=None, deletion_requested_by_role="", erase_after=None)


def records_erase_due(*, now: dt.datetime | None = None, chunk: int = 100) -> int:
    """Erase every closed record whose erasure is due, oldest deadline first;
    returns how many.

    Each is claimed with a conditional UPDATE that checks it is still due, so
    two runs never work on the same record and a request withdrawn meanwhile
    is left alone; a claim left by a crash is taken over after an hour. One
    that fails is released, logged, and retried at the next run, without
    holding back the others. Safe to run twice, and catches up after downtime.
    """
    moment = now or timezone.now()
    _guardian_requests_lapse(moment)
    erased = 0
    failed: set[int] = set()
    while True:
        batch = list(
            RecordClosure.objects.filter(_due(moment))
            .exclude(pk__in=failed)
            .filter(
                Q(erasure_claimed_at__isnull=True)
                | Q(erasure_claimed_at__lt=moment - ERASURE_CLAIM)
            )
            .order_by("erase_after", "keep_until", "pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not batch:
            return erased
        for closure_id in batch:
            claimed = (
                RecordClosure.objects.filter(_due(moment), pk=closure_id)
                .filter(
                    Q(erasure_claimed_at__isnull=True)
                    | Q(erasure_claimed_at__lt=moment - ERASURE_CLAIM)
                )
                .update(erasure_claimed_at=moment)
            )
            if not claimed:
                failed.add(closure_id)  # another run has it, or no longer due
                continue
            try:
                closure = record_erase(closure_id=closure_id, now=moment)
            except Exception:
                log.exception("closure %s: erasure failed, released for the next run", closure_id)
                RecordClosure.objects.filter(pk=closure_id, erased_at__isnull=True).update(
                    erasure_claimed_at=None
                )
                failed.add(closure_id)
                continue
            if closure.erased_at == moment:
                erased += 1
            else:
                failed.add(closure_id)


def record_erase(*, closure_id: int, now: dt.datetime | None = None) -> RecordClosure:
    """Erase a closed record whose erasure is due, in one transaction, keeping the
    proof; the encrypted files go once it commits (their keys went with the
    rows, so a file left behind by a failed delete can no longer be read).

    The closure row is locked and checked again: a record reopened, or a
    request withdrawn, in the meantime is left as it is.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        closure = (
            RecordClosure.objects.select_for_update()
            .select_related("record__patient")
            .get(pk=closure_id)
        )
        cause = _cause(closure, moment)
        if cause is None or closure.record.state != RecordState.CLOSED:
            return closure
        # Uploads being ingested wait for this transaction: no document appears
        # between listing the files and deleting the rows.
        list(Upload.objects.select_for_update().filter(patient_id=closure.record.patient_id))
        record = closure.record
        patient = record.patient
        blobs = _patient_blobs(patient)
        counts = _erase_rows(patient)
        counts["fichiers chiffrés"] = len(blobs)
        user_id = patient.user_id
        Patient.objects.filter(pk=patient.pk).update(
            user=None,
            used_name="",
            address_line1="",
            address_line2="",
            postcode="",
            city="",
            email="",
            phone="",
        )
        NoticeDelivery.objects.filter(notice__record=record).update(address_lines=[], email="")
        Notice.objects.filter(record=record).update(code_sealed=b"")
        Record.objects.filter(pk=record.pk, state=RecordState.CLOSED).update(
            state=RecordState.DELETED, state_changed_at=moment
        )
        RecordTransition.objects.create(
            record=record,
            from_state=RecordState.CLOSED,
            to_state=RecordState.DELETED,
            at=moment,
            reason=(
                "Suppression à la demande du titulaire"
                if cause == ErasureCause.REQUEST
                else "Suppression au terme de la durée d’archivage"
            ),
        )
        closure.erased_at = moment
        closure.erasure_cause = cause
        closure.erased_counts = counts
        closure.save(update_fields=["erased_at", "erasure_cause", "erased_counts"])
        if user_id is not None:
            _retire_account(user_id)

        transaction.on_commit(
            partial(blobs_delete_after_erasure, blobs, owner=f"closure:{closure_id}")
        )
    log.info("closure %s: record %s erased (%s)", closure_id, record.pk, cause)
    return closure


def _patient_blobs(patient: Patient) -> list[str]:
    names: list[str] = list(
        Upload.objects.filter(patient=patient).exclude(blob="").values_list("blob", flat=True)
    )
    for text, preview in Document.objects.filter(patient=patient).values_list(
        "text_blob", "preview_blob"
    ):
        names += [n for n in (text, preview) if n]
    return names


def _erase_rows(patient: Patient) -> dict[str, int]:
    """Delete every erased model's rows about the patient; counts by verbose name."""
    counts: dict[str, int] = {}
    # Uploads point at the documents they replace, documents at their upload.
    Upload.objects.filter(patient=patient).update(replaces=None)
    for model in ERASED_MODELS:
        deleted, _per_model = model._default_manager.filter(patient=patient).delete()
        if deleted:
            counts[str(model._meta.verbose_name_plural)] = deleted
    return counts


def _retire_account(user_id: int) -> None:
    """The erased patient's login goes too, unless the person uses it for
    something else (professional, agent, guardian or carer of someone)."""
    from qsessions.models import Session

    user = User.objects.get(pk=user_id)
    if user.is_professional or user.is_support_agent or user.is_staff:
        return
    if Guardianship.objects.filter(guardian=user, ended_at__isnull=True).exists():
        return
    if CarerGrant.objects.filter(carer=user, revoked_at__isnull=True).exists():
        return
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    # One by one, so that each cached session goes too (as at a password change).
    for session in Session.objects.filter(user=user).only("session_key"):
        session.delete()
