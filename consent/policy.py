"""The single access policy: who may read or write which health data.

Every view, API, export and task that touches health data obtains a
:class:`RecordAccess` from this module and reads through it. Access answers
are querysets filtered in SQL; anything not allowed answers 404 so that ids
cannot be enumerated. Reads and writes by anyone other than the patient are
written to :class:`consent.models.AccessLog`.

A professional's bases, strongest first: designated GP, care relationship,
share granted by the patient (whole record or some sections), emergency
access. A block by the patient overrides every basis but emergency access.
What a basis shows is narrowed by the profession × item-kind matrix
(:mod:`consent.visibility`, editable as ``ProfessionVisibility`` rows) and by
the items the patient hid, which only their author and the designated GP
still see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Manager,
    OuterRef,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

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
    ProfessionVisibility,
    Share,
)
from consent.visibility import ALL_KINDS, DEFAULT_MATRIX, DOCUMENT_KINDS
from documents.models import DOC_KIND_PREFIX, Document
from records.lifecycle.models import RecordState
from records.models import (
    MAJORITY_AGE,
    Condition,
    Entry,
    ItemKind,
    Patient,
    TimelineEvent,
    latest_birth_date_for_age,
)

if TYPE_CHECKING:
    import datetime as dt

    from messpace.accounts.models import Professional, User

E = TypeVar("E", bound=Entry)

SELF = "self"
CARER_ROLE = "carer"
GUARDIAN_ROLE = "guardian"
MENTAL_HEALTH_PREFIX = "F"  # ICD-10 chapter V


@dataclass(frozen=True)
class RecordAccess:
    """An actor's established right to one patient's record.

    ``kinds`` is the set of item kinds the actor may see (``None``: all, for
    the patient and their guardians); ``sees_hidden`` is true for the patient,
    their guardians and carers, and the designated GP; ``sees_guardian_confidential``
    is false for guardians and carers, who never see what a professional or the
    minor (aged 15 or more) kept from the family.

    ``confidential_kinds`` narrows, for a professional, the items kept
    confidential from the guardians to the kinds reached by a basis that does
    not come from a guardian (a share the minor granted, a GP the guardians did
    not designate, emergency access); ``None`` means every kind the actor sees.
    A professional always sees what they wrote themself.
    """

    actor: User
    patient: Patient
    role: str
    basis: str
    can_write: bool
    kinds: frozenset[str] | None = None
    sees_hidden: bool = True
    # End of a time-limited basis (emergency access), for the record header.
    expires_at: dt.datetime | None = None
    sees_guardian_confidential: bool = True
    confidential_kinds: frozenset[str] | None = None

    @property
    def is_self(self) -> bool:
        """The patient themself: the only actor whose accesses are not logged."""
        return self.basis == SELF

    @property
    def acts_as_patient(self) -> bool:
        """The patient, or a legal guardian acting as the child: may do all the patient may."""
        return self.basis in {SELF, AccessBasis.GUARDIAN}

    @property
    def may_keep_from_guardians(self) -> bool:
        """May mark items of this (minor's) record confidential from the guardians:
        a professional who may write, or the minor themself from age 15."""
        if not self.patient.is_minor:
            return False
        if self.role == "professional":
            return self.can_write
        return self.is_self and self.patient.may_keep_from_guardians

    def sees_kind(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def sees_section(self, section: str) -> bool:
        if section == "condition":
            return self.sees_kind(ItemKind.CONDITION) or self.sees_kind(ItemKind.MENTAL_HEALTH)
        return self.sees_kind(section)

    def entries(self, model: type[E]) -> QuerySet[E]:
        """Live entries of one section this actor may read, filtered in SQL."""
        manager: Manager[E] = model.live  # type: ignore[assignment]
        qs = manager.filter(patient=self.patient)
        if not self.sees_guardian_confidential:
            qs = qs.filter(confidential_from_guardians=False)
        elif self.confidential_kinds is not None:
            qs = qs.filter(self._confidential_q(_entry_kind_q(model, self.confidential_kinds)))
        if self.kinds is None:
            return qs
        if model is Condition:
            general = ItemKind.CONDITION in self.kinds
            mental = ItemKind.MENTAL_HEALTH in self.kinds
            if not general and not mental:
                return qs.none()
            if not mental:
                qs = qs.exclude(icd10_code__istartswith=MENTAL_HEALTH_PREFIX)
            elif not general:
                qs = qs.filter(icd10_code__istartswith=MENTAL_HEALTH_PREFIX)
        elif model.section not in self.kinds:
            return qs.none()
        if not self.sees_hidden:
            qs = qs.filter(Q(hidden_from_professionals=False) | Q(author_id=self.actor.pk))
        return qs

    def entry_or_404(self, model: type[E], entry_id: int) -> E:
        try:
            return self.entries(model).get(pk=entry_id)
        except model.DoesNotExist as exc:
            raise Http404 from exc

    def _confidential_q(self, reached: Q) -> Q:
        """Rows not kept from the guardians, or kept but written by the actor, or of a
        kind reached by a basis that does not come from a guardian.

        ``reached`` is ``Q()`` when every row of the model is of a reached kind:
        no filter then. (Or-ing an empty ``Q`` drops it, which would keep those
        rows from an actor the minor's own share or GP lets see them.)"""
        if not reached:
            return Q()
        return Q(confidential_from_guardians=False) | Q(author_id=self.actor.pk) | reached

    def timeline(self) -> QuerySet[TimelineEvent]:
        qs = TimelineEvent.objects.filter(patient=self.patient, deleted=False)
        if not self.sees_guardian_confidential:
            qs = qs.filter(confidential_from_guardians=False)
        elif self.confidential_kinds is not None:
            qs = qs.filter(
                self._confidential_q(Q(visibility_kind__in=sorted(self.confidential_kinds)))
            )
        if self.kinds is None:
            return qs
        qs = qs.filter(visibility_kind__in=sorted(self.kinds))
        if not self.sees_hidden:
            qs = qs.filter(Q(hidden_from_professionals=False) | Q(author_id=self.actor.pk))
        return qs

    def documents(self) -> QuerySet[Document]:
        """Live documents this actor may read, filtered in SQL: current versions and
        older ones alike (lists show the current ones)."""
        qs = Document.live.filter(patient=self.patient)
        if not self.sees_guardian_confidential:
            qs = qs.filter(confidential_from_guardians=False)
        elif self.confidential_kinds is not None:
            qs = qs.filter(
                self._confidential_q(Q(doc_type__in=_doc_types(self.confidential_kinds)))
            )
        if self.kinds is None:
            return qs
        qs = qs.filter(doc_type__in=_doc_types(self.kinds))
        if not self.sees_hidden:
            qs = qs.filter(Q(hidden_from_professionals=False) | Q(author_id=self.actor.pk))
        return qs

    def document_or_404(self, document_id: int) -> Document:
        try:
            return self.documents().select_related("upload").get(pk=document_id)
        except Document.DoesNotExist as exc:
            raise Http404 from exc

    def sees_documents(self) -> bool:
        return self.kinds is None or any(k.startswith(DOC_KIND_PREFIX) for k in self.kinds)

    def may_deposit(self) -> bool:
        """May add a document to this record, by any door (pages, API, the service
        itself): may write, and sees documents."""
        return self.can_write and self.sees_documents()

    def may_delete_document(self, document: Document) -> bool:
        """The patient (or a guardian acting as them) deletes a live document of this
        record deposited from the patient's side (patient, guardian or carer); a
        professional's document may be hidden, never deleted."""
        return (
            self.acts_as_patient
            and self.can_write
            and document.patient_id == self.patient.pk
            and document.deleted_at is None
            and document.author_kind in {"patient", GUARDIAN_ROLE, CARER_ROLE}
        )

    def may_replace_document(self, document: Document) -> bool:
        """A professional who may deposit publishes a new version of a live document
        of this record that they authored, from its current version."""
        return (
            self.role == "professional"
            and self.may_deposit()
            and document.patient_id == self.patient.pk
            and document.deleted_at is None
            and document.is_current
            and document.author_id == self.actor.pk
        )

    def may_modify(self, entry: Entry) -> bool:
        """Patients (and their guardians) edit what the patient, a guardian or a
        carer entered; professionals edit what they authored; a carer with write
        scope edits what the patient or they themself entered."""
        if not self.can_write:
            return False
        if self.acts_as_patient:
            return entry.author_kind in {"patient", CARER_ROLE, GUARDIAN_ROLE}
        if self.role == CARER_ROLE:
            return entry.author_kind == "patient" or entry.author_id == self.actor.pk
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


def _doc_types(kinds: Iterable[str]) -> list[str]:
    """The document types among item kinds (``doc_<code>``)."""
    return sorted(k[len(DOC_KIND_PREFIX) :] for k in kinds if k.startswith(DOC_KIND_PREFIX))


def _entry_kind_q(model: type[Entry], kinds: frozenset[str]) -> Q:
    """The entries of ``model`` whose item kind is among ``kinds``: conditions are
    split between general and mental health (ICD-10 chapter F)."""
    nothing = Q(pk__in=[])
    if model is Condition:
        general, mental = ItemKind.CONDITION in kinds, ItemKind.MENTAL_HEALTH in kinds
        if general and mental:
            return Q()
        if general:
            return ~Q(icd10_code__istartswith=MENTAL_HEALTH_PREFIX)
        if mental:
            return Q(icd10_code__istartswith=MENTAL_HEALTH_PREFIX)
        return nothing
    return Q() if model.section in kinds else nothing


def _actor_label(user: User) -> str:
    if user.is_professional:
        return f"{user.professional.display_name}, {user.professional.title}"
    return user.get_full_name() or user.email


DOCUMENTS_SECTION = "document"


def expand_sections(sections: Iterable[str]) -> frozenset[str]:
    """The item kinds a set of shared or delegated sections covers: conditions cover
    mental health too, "document" covers every document type."""
    kinds = set(sections)
    if ItemKind.CONDITION in kinds:
        kinds.add(ItemKind.MENTAL_HEALTH)
    if DOCUMENTS_SECTION in kinds:
        kinds.discard(DOCUMENTS_SECTION)
        kinds |= DOCUMENT_KINDS
    return frozenset(kinds)


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


def _live_guardianships(user: User, today: dt.date) -> QuerySet[Guardianship]:
    """The user's live guardianships of minors whose record is active.

    Age is checked here, in SQL, so access ends on the 18th birthday even
    before the beat task records the end.
    """
    return Guardianship.objects.filter(
        guardian_id=user.pk,
        ended_at__isnull=True,
        patient__birth_date__gt=latest_birth_date_for_age(today, MAJORITY_AGE),
        patient__record__state=RecordState.ACTIVE,
    )


def guardian_patients(user: User) -> QuerySet[Patient]:
    """The minors whose record this user may open as their legal guardian."""
    if not user.is_authenticated:
        return Patient.objects.none()
    live = _live_guardianships(user, timezone.localdate()).filter(patient_id=OuterRef("pk"))
    return Patient.objects.filter(Exists(live)).exclude(user_id=user.pk)


def guardian_record_access(user: User, patient_id: int) -> RecordAccess:
    """A legal guardian's access to a minor's record: everything the patient may
    do, except the items kept confidential from guardians; 404 otherwise."""
    if not user.is_authenticated:
        raise Http404
    guardianship = (
        _live_guardianships(user, timezone.localdate())
        .filter(patient_id=patient_id)
        .exclude(patient__user_id=user.pk)
        .select_related("patient__record")
        .first()
    )
    if guardianship is None:
        raise Http404
    return RecordAccess(
        actor=user,
        patient=guardianship.patient,
        role=GUARDIAN_ROLE,
        basis=AccessBasis.GUARDIAN,
        can_write=True,
        sees_guardian_confidential=False,
    )


def acting_record_access(user: User, acting_for: int | None) -> RecordAccess:
    """The record a patient-side page shows: the user's own, or, when they
    switched into a child's record, that child's as their guardian."""
    if acting_for is None:
        return own_record_access(user)
    return guardian_record_access(user, acting_for)


def visible_kinds(profession: str) -> frozenset[str]:
    """The item kinds a profession sees: its matrix rows over the defaults (one query)."""
    kinds = set(DEFAULT_MATRIX.get(profession, frozenset()))
    for kind, visible in ProfessionVisibility.objects.filter(profession=profession).values_list(
        "item_kind", "visible"
    ):
        if visible:
            kinds.add(kind)
        else:
            kinds.discard(kind)
    return frozenset(kinds & ALL_KINDS)


def _basis_subqueries(
    professional: Professional, now: dt.datetime
) -> dict[str, Exists | ExpressionWrapper[Q]]:
    """One EXISTS per basis, correlated on the patient's primary key."""
    pk = OuterRef("pk")
    refuses = ConsentSettings.objects.filter(patient_id=pk, refuses_emergency_access=True)
    subqueries: dict[str, Exists | ExpressionWrapper[Q]] = {
        "is_gp": Exists(DesignatedGP.objects.filter(patient_id=pk, professional=professional)),
        "in_care": Exists(
            CareRelationship.objects.filter(
                patient_id=pk, professional=professional, ended_at__isnull=True
            )
        ),
        "has_share": Exists(
            Share.objects.filter(
                patient_id=pk, professional=professional, revoked_at__isnull=True
            ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        ),
        "in_emergency": ExpressionWrapper(
            Exists(
                EmergencyAccess.objects.filter(
                    patient_id=pk, professional=professional, expires_at__gt=now
                )
            )
            & ~Exists(refuses),
            output_field=BooleanField(),
        ),
        "is_blocked": Exists(Block.objects.filter(patient_id=pk, professional=professional)),
    }
    return subqueries


def professional_patients(user: User, *, with_basis: bool = False) -> QuerySet[Patient]:
    """Patients whose active record this professional may open, filtered in SQL.

    With ``with_basis``, each patient carries the booleans ``is_gp``,
    ``in_care``, ``has_share`` and ``in_emergency`` (the bases this
    professional holds), computed in the same query.
    """
    if not user.is_authenticated or not user.is_professional:
        return Patient.objects.none()
    b = _basis_subqueries(user.professional, timezone.now())
    ordinary = Q(b["is_gp"]) | Q(b["in_care"]) | Q(b["has_share"])
    qs = Patient.objects.filter(record__state=RecordState.ACTIVE)
    if with_basis:
        # Filter on the annotations themselves: each subquery then runs once.
        qs = qs.annotate(**b)
        allowed = ((Q(is_gp=True) | Q(in_care=True) | Q(has_share=True)) & Q(is_blocked=False)) | Q(
            in_emergency=True
        )
    else:
        allowed = (ordinary & ~Q(b["is_blocked"])) | Q(b["in_emergency"])
    return qs.filter(allowed).exclude(user_id=user.pk)


def professional_listing_log(user: User, patients: dict[int, int | None], *, what: str) -> int:
    """One access-history row per patient whose data a professional's list showed
    (the messaging inbox: subjects across patients), each with the basis held,
    the widest first as ``professional_record_access`` names it. One query reads
    the bases, one writes the rows; patients no longer open to them are skipped.
    ``patients`` maps each patient to the row's ``object_id`` (or None). Returns
    how many rows were written."""
    if not patients:
        return 0
    rows = professional_patients(user, with_basis=True).filter(pk__in=list(patients))
    label = _actor_label(user)
    logs = []
    for patient_id, is_gp, in_care, has_share, blocked in rows.values_list(  # type: ignore[misc]
        "pk", "is_gp", "in_care", "has_share", "is_blocked"
    ):
        if blocked:
            basis = AccessBasis.EMERGENCY
        elif is_gp:
            basis = AccessBasis.DESIGNATED_GP
        elif in_care:
            basis = AccessBasis.CARE_RELATIONSHIP
        elif has_share:
            basis = AccessBasis.SHARE
        else:
            basis = AccessBasis.EMERGENCY
        logs.append(
            AccessLog(
                patient_id=patient_id,
                actor=user,
                actor_label=label,
                role="professional",
                basis=basis,
                action=AccessAction.READ,
                what=what[:120],
                object_id=patients[patient_id],
            )
        )
    AccessLog.objects.bulk_create(logs)
    return len(logs)


def professional_record_access(user: User, patient_id: int) -> RecordAccess:
    """A professional's access to one patient's record, with its basis; 404 without one.

    Three queries whatever the record's size or the number of grants: the
    patient with one EXISTS per basis, the profession's matrix, and (for a
    share) the shared sections and who granted them.

    While the patient is a minor, what a legal guardian granted (a share, the
    designated GP) never reaches the items kept confidential from the
    guardians: those are seen only through a basis that does not come from a
    guardian (a share the minor granted, a GP the guardians did not designate,
    emergency access), or by their own author (``RecordAccess.confidential_kinds``).
    A care relationship the professional declared alone comes from nobody's
    choice in the record, and reaches them neither; a professional who is
    one of the minor's guardians sees only what they wrote. From 18 the
    guardians are gone, and these items are seen by the usual rules.
    """
    if not user.is_authenticated or not user.is_professional:
        raise Http404
    professional = user.professional
    now = timezone.now()
    b = _basis_subqueries(professional, now)
    pk = OuterRef("pk")
    extra = {
        "gp_by_guardian": Exists(
            DesignatedGP.objects.filter(
                patient_id=pk, professional=professional, designated_by_guardian=True
            )
        ),
        "care_declared": Exists(
            CareRelationship.objects.filter(
                patient_id=pk,
                professional=professional,
                ended_at__isnull=True,
                declared_by_professional=True,
            )
        ),
        # A professional who is also one of the minor's guardians.
        "is_guardian": Exists(
            Guardianship.objects.filter(patient_id=pk, guardian_id=user.pk, ended_at__isnull=True)
        ),
    }
    patient = (
        Patient.objects.select_related("record")
        .filter(pk=patient_id, record__state=RecordState.ACTIVE)
        .exclude(user_id=user.pk)
        .annotate(**b, **extra)
        .first()
    )
    if patient is None:
        raise Http404
    flags = {name: getattr(patient, name) for name in (*b, *extra)}
    if flags["is_blocked"] and not flags["in_emergency"]:
        raise Http404
    matrix = visible_kinds(professional.profession)
    kinds = matrix
    shared_kinds: frozenset[str] | None = None
    # Item kinds where what is kept from the guardians is seen (a basis not theirs).
    reached: set[str] = set()
    if flags["has_share"] and not flags["is_blocked"]:
        grants = list(
            Share.objects.filter(
                patient=patient, professional=professional, revoked_at__isnull=True
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .values_list("section", "granted_by_guardian")
        )
        sections = {section for section, _by_guardian in grants}
        if "" not in sections:
            shared_kinds = matrix & expand_sections(sections)
        own = {section for section, by_guardian in grants if not by_guardian}
        if own:
            reached |= matrix if "" in own else matrix & expand_sections(own)
    if flags["in_emergency"]:
        reached |= matrix
    if flags["is_gp"] and not flags["gp_by_guardian"] and not flags["is_blocked"]:
        reached |= matrix
    # The basis that gives the widest access wins; a block leaves emergency only.
    if flags["is_blocked"]:
        basis = AccessBasis.EMERGENCY
    elif flags["is_gp"]:
        basis = AccessBasis.DESIGNATED_GP
    elif flags["in_care"]:
        basis = (
            AccessBasis.CARE_DECLARED if flags["care_declared"] else AccessBasis.CARE_RELATIONSHIP
        )
    elif flags["has_share"] and (shared_kinds is None or not flags["in_emergency"]):
        basis = AccessBasis.SHARE
        if shared_kinds is not None:
            kinds = shared_kinds
    elif flags["in_emergency"]:
        basis = AccessBasis.EMERGENCY
    else:
        raise Http404
    expires_at: dt.datetime | None = None
    if basis == AccessBasis.EMERGENCY:
        expires_at = (
            EmergencyAccess.objects.filter(
                patient=patient, professional=professional, expires_at__gt=now
            )
            .order_by("-expires_at")
            .values_list("expires_at", flat=True)
            .first()
        )
    confidential = frozenset(reached & kinds)
    if not patient.is_minor:
        # Keeping items from the guardians ends with the guardianships, at 18.
        confidential = kinds
    elif flags["is_guardian"]:
        # A guardian stays a guardian whatever basis they come through, emergency
        # access included: only what they wrote themself.
        confidential = frozenset()
    return RecordAccess(
        actor=user,
        patient=patient,
        role="professional",
        basis=basis,
        can_write=True,
        kinds=kinds,
        sees_hidden=basis == AccessBasis.DESIGNATED_GP,
        expires_at=expires_at,
        confidential_kinds=None if confidential == kinds else confidential,
    )


def _live_carer_grants(user: User, now: dt.datetime) -> QuerySet[CarerGrant]:
    return CarerGrant.objects.filter(
        carer_id=user.pk,
        accepted_at__isnull=False,
        revoked_at__isnull=True,
        expires_at__gt=now,
        patient__record__state=RecordState.ACTIVE,
    )


def carer_patients(user: User) -> QuerySet[Patient]:
    """Patients whose active record this user may open as their carer (aidant)."""
    if not user.is_authenticated:
        return Patient.objects.none()
    grants = _live_carer_grants(user, timezone.now()).filter(patient_id=OuterRef("pk"))
    return (
        Patient.objects.filter(record__state=RecordState.ACTIVE)
        .filter(Exists(grants))
        .exclude(user_id=user.pk)
    )


def carer_record_access(user: User, patient_id: int) -> RecordAccess:
    """A carer's access to one patient's record, within the granted sections; 404 without a
    live grant.

    The patient's hidden items are hidden from professionals only: a carer sees
    them. Items kept confidential from a minor's guardians are kept from carers too.
    """
    if not user.is_authenticated:
        raise Http404
    now = timezone.now()
    grant = (
        _live_carer_grants(user, now)
        .filter(patient_id=patient_id)
        .exclude(patient__user_id=user.pk)
        .select_related("patient__record")
        .order_by("-created_at", "-id")
        .first()
    )
    if grant is None:
        raise Http404
    kinds = expand_sections(grant.sections)
    return RecordAccess(
        actor=user,
        patient=grant.patient,
        role=CARER_ROLE,
        basis=AccessBasis.CARER,
        can_write=grant.can_write,
        kinds=kinds,
        sees_hidden=True,
        expires_at=grant.expires_at,
        sees_guardian_confidential=False,
    )


__all__ = [
    "AccessAction",
    "RecordAccess",
    "acting_record_access",
    "carer_patients",
    "carer_record_access",
    "guardian_patients",
    "guardian_record_access",
    "own_record_access",
    "professional_patients",
    "professional_record_access",
    "visible_kinds",
]
