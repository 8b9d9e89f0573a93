"""Reads of the record's lifecycle: a closed record as its holder sees it.

A closed record is invisible to everyone through the access policy (which
opens ``active`` records only); its holder still reaches this: the closure,
its dates and what they may do next, never the record's content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import Http404
from django.utils import timezone

from consent.models import Guardianship
from records.lifecycle.models import ClosedByRole, RecordClosure, RecordState
from records.models import (
    MAJORITY_AGE,
    MINOR_CONFIDENTIALITY_AGE,
    Patient,
    latest_birth_date_for_age,
)

if TYPE_CHECKING:
    from messpace.accounts.models import User

# The law's limit between a request for erasure and the erasure (R1111-36).
ERASURE_LIMIT = dt.timedelta(days=90)


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


def own_record_is_closed(user: User) -> bool:
    """Whether this user's own record is closed (their home page then shows the closure)."""
    if not user.is_authenticated:
        return False
    return Patient.objects.filter(user_id=user.pk, record__state=RecordState.CLOSED).exists()
