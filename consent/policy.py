"""The single access policy: who may read or write which health data.

Every view, API, export and task that touches health data obtains a
:class:`RecordAccess` from this module and reads through it. Access answers
are querysets filtered in SQL; anything not allowed answers 404 so that ids
cannot be enumerated. Reads and writes by anyone other than the patient are
written to :class:`consent.models.AccessLog`.

Bases implemented so far: the patient themself, and a professional with an
open care relationship. The consent work (designated GP, shares, profession
matrix, hidden items, blocks, guardians, carers, emergency access) extends
:func:`professional_patients` and :meth:`RecordAccess.entries` without
changing their callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Exists, Manager, OuterRef, QuerySet
from django.http import Http404

from consent.models import AccessAction, AccessBasis, AccessLog, CareRelationship
from records.models import Entry, Patient, RecordState, TimelineEvent

if TYPE_CHECKING:
    from messpace.accounts.models import User

E = TypeVar("E", bound=Entry)

SELF = "self"


@dataclass(frozen=True)
class RecordAccess:
    """An actor's established right to one patient's record."""

    actor: User
    patient: Patient
    role: str
    basis: str
    can_write: bool

    @property
    def is_self(self) -> bool:
        return self.basis == SELF

    def entries(self, model: type[E]) -> QuerySet[E]:
        """Live entries of one section this actor may read, filtered in SQL."""
        manager: Manager[E] = model.live  # type: ignore[assignment]
        return manager.filter(patient=self.patient)

    def entry_or_404(self, model: type[E], entry_id: int) -> E:
        try:
            return self.entries(model).get(pk=entry_id)
        except model.DoesNotExist as exc:
            raise Http404 from exc

    def timeline(self) -> QuerySet[TimelineEvent]:
        return TimelineEvent.objects.filter(patient=self.patient, deleted=False)

    def may_modify(self, entry: Entry) -> bool:
        """Patients edit what they entered; professionals edit what they authored."""
        if not self.can_write:
            return False
        if self.is_self:
            return entry.author_kind == "patient"
        return entry.author_id == self.actor.pk

    def log(self, *, action: str, what: str, object_id: int | None = None) -> None:
        """Record the access unless the actor is the patient themself."""
        if self.is_self:
            return
        AccessLog.objects.create(
            patient=self.patient,
            actor=self.actor,
            actor_label=_actor_label(self.actor),
            role=self.role,
            basis=self.basis,
            action=action,
            what=what[:120],
            object_id=object_id,
        )


def _actor_label(user: User) -> str:
    if user.is_professional:
        return f"{user.professional.display_name}, {user.professional.title}"
    return user.get_full_name() or user.email


def own_record_access(user: User) -> RecordAccess:
    """The patient's access to their own, active record; 404 otherwise."""
    try:
        patient = (
            Patient.objects.select_related("record")
            .filter(record__state=RecordState.ACTIVE)
            .get(user_id=user.pk)
        )
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    return RecordAccess(actor=user, patient=patient, role="patient", basis=SELF, can_write=True)


def professional_patients(user: User) -> QuerySet[Patient]:
    """Patients whose active record this professional may open, filtered in SQL."""
    if not user.is_authenticated or not user.is_professional:
        return Patient.objects.none()
    open_care = CareRelationship.objects.filter(
        professional_id=user.professional.pk, patient_id=OuterRef("pk"), ended_at__isnull=True
    )
    return (
        Patient.objects.filter(record__state=RecordState.ACTIVE)
        .filter(Exists(open_care))
        .exclude(user_id=user.pk)
    )


def professional_record_access(user: User, patient_id: int) -> RecordAccess:
    """A professional's access to one patient's record, with its basis; 404 without one."""
    try:
        patient = professional_patients(user).select_related("record").get(pk=patient_id)
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    return RecordAccess(
        actor=user,
        patient=patient,
        role="professional",
        basis=AccessBasis.CARE_RELATIONSHIP,
        can_write=True,
    )


__all__ = [
    "AccessAction",
    "RecordAccess",
    "own_record_access",
    "professional_patients",
    "professional_record_access",
]
