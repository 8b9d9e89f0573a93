"""Erasing a closed record, when its holder asked for it or its archive expired (R1111-36).

Erasing deletes every row about the patient's health and care (entries,
timeline, documents and their encrypted files, grants and settings) and
keeps the identity that honours the request (NIR, names, birth date: so no
later campaign creates the record again), the lifecycle history and the
closure row itself, which is the proof: who asked, when, when it was done
and how many rows of each kind went. The beat task ``records_erase_due``
(hourly) runs :func:`records_erase_due`.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from consent.models import (
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
from consent.optout.models import CohortMember, GuardianToInform, Notice, NoticeDelivery
from documents.models import Document, Upload
from messaging.models import Thread
from messpace.accounts.models import User
from messpace.blobs import blobs_delete_after_erasure
from records.lifecycle.models import (
    ClosedByRole,
    ErasureCause,
    Record,
    RecordClosure,
    RecordState,
    RecordTransition,
)
from records.lifecycle.services import records_transition
from records.models import (
    MAJORITY_AGE,
    SECTION_MODELS,
    Patient,
    TimelineEvent,
    latest_birth_date_for_age,
)

log = logging.getLogger(__name__)

# Erasure of a closure claimed this long ago and not finished is taken over.
ERASURE_CLAIM = dt.timedelta(hours=1)

# Every model pointing at a patient or a record is either erased with the
# record or kept, on purpose; a test checks that none is forgotten.
ERASED_MODELS: tuple[type[models.Model], ...] = (
    TimelineEvent,
    *SECTION_MODELS.values(),
    Document,
    Upload,
    # Their messages and read states go with them (cascade); contents live in
    # the rows, sealed, so no blob stays behind.
    Thread,
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
        records_transition(
            record_ids=[record.pk],
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
