"""Writes to the patient's consent choices: GP, care relationships, shares,
blocks, hidden items, emergency access and its refusal, carers, and legal
guardians of minors.

Each function states its contract; refused requests raise ``ValidationError``
with a French message and change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import (
    CARE_DECLARATION_WHAT,
    EMERGENCY_WHAT,
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
    GuardianshipEnd,
    Share,
)
from consent.policy import DOCUMENTS_SECTION, RecordAccess, professional_record_access
from messpace.accounts.models import Profession, Professional
from messpace.grammar import of_name
from records.models import MAJORITY_AGE, SECTION_MODELS, Entry, Patient, latest_birth_date_for_age
from records.selectors import patient_by_identity
from records.services import timeline_event_sync

if TYPE_CHECKING:
    from messpace.accounts.models import User

E = TypeVar("E", bound=Entry)

# Who may be a designated GP (médecin traitant) and who may break the glass.
GP_PROFESSIONS = frozenset({Profession.GENERAL_PRACTITIONER, Profession.SPECIALIST})
EMERGENCY_PROFESSIONS = frozenset({Profession.EMERGENCY_PHYSICIAN})
EMERGENCY_DURATION = dt.timedelta(hours=settings.MESSPACE_EMERGENCY_HOURS)


def may_break_glass(user: User) -> bool:
    """Whether this user's profession may open a record in an emergency."""
    return bool(
        user.is_authenticated
        and user.is_professional
        and user.professional.profession in EMERGENCY_PROFESSIONS
    )


def _require_self(access: RecordAccess) -> None:
    """The patient, or a legal guardian acting as the child."""
    if not access.acts_as_patient:
        raise PermissionDenied


def designated_gp_set(*, access: RecordAccess, professional: Professional) -> DesignatedGP:
    """The patient chooses (or changes) their designated GP."""
    _require_self(access)
    if professional.profession not in GP_PROFESSIONS:
        raise ValidationError(_("Seul un médecin peut être désigné comme médecin traitant."))
    if Block.objects.filter(patient=access.patient, professional=professional).exists():
        raise ValidationError(_("Vous avez bloqué ce médecin : débloquez-le avant de le désigner."))
    with transaction.atomic():
        gp, _created = DesignatedGP.objects.update_or_create(
            patient=access.patient,
            defaults={
                "professional": professional,
                "designated_at": timezone.now(),
                "designated_by_guardian": access.basis == AccessBasis.GUARDIAN,
            },
        )
    return gp


def designated_gp_clear(*, access: RecordAccess) -> None:
    """The patient no longer has a designated GP; hidden items become hidden from them too."""
    _require_self(access)
    DesignatedGP.objects.filter(patient=access.patient).delete()


def care_relationship_end(*, access: RecordAccess, relationship_id: int) -> None:
    """The patient ends a care relationship a professional declared; 404 if not theirs."""
    _require_self(access)
    updated = CareRelationship.objects.filter(
        pk=relationship_id, patient=access.patient, ended_at__isnull=True
    ).update(ended_at=timezone.now())
    if not updated:
        raise Http404


def care_relationship_declare(
    *, professional: Professional, patient: Patient, declared_by: User
) -> CareRelationship:
    """A professional who sees the patient records the relationship, attesting the
    patient's consent (the caller has had them tick it). Idempotent.

    Declared by the professional alone: the declaration is written in the
    record's access history, and the patient gets a notice at once (no health
    content) whose link lets them end it and block the professional in one step.
    """
    if Block.objects.filter(patient=patient, professional=professional).exists():
        # Same answer as an unknown patient: a block is not to be revealed.
        raise Http404
    existing = CareRelationship.objects.filter(
        patient=patient, professional=professional, ended_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            relationship = CareRelationship.objects.create(
                patient=patient,
                professional=professional,
                created_by=declared_by,
                declared_by_professional=True,
            )
            AccessLog.objects.create(
                patient=patient,
                actor=declared_by,
                actor_label=f"{professional.display_name}, {professional.title}",
                role="professional",
                basis=AccessBasis.CARE_DECLARED,
                action=AccessAction.WRITE,
                what=CARE_DECLARATION_WHAT,
                object_id=relationship.pk,
            )
            transaction.on_commit(lambda: _notify_care_declared(relationship.pk))
            return relationship
    except IntegrityError:  # a concurrent declaration won
        return CareRelationship.objects.get(
            patient=patient, professional=professional, ended_at__isnull=True
        )


def _notify_care_declared(relationship_id: int) -> None:
    from consent.tasks import care_relationship_notify

    care_relationship_notify.delay(relationship_id)


def care_relationship_refuse(*, access: RecordAccess, relationship_id: int) -> Block:
    """The patient (or a guardian) ends a care relationship a professional declared
    and blocks that professional, in one step; 404 if it is not theirs.

    Refused, with nothing changed, when the professional is the designated GP
    (who must be changed before being blocked): the relationship can still be
    ended on its own.
    """
    _require_self(access)
    relationship = (
        CareRelationship.objects.select_related("professional")
        .filter(pk=relationship_id, patient=access.patient, ended_at__isnull=True)
        .first()
    )
    if relationship is None:
        raise Http404
    with transaction.atomic():
        block = block_add(access=access, professional=relationship.professional)
        CareRelationship.objects.filter(pk=relationship.pk, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
    return block


def share_grant(
    *,
    access: RecordAccess,
    professional: Professional,
    sections: list[str],
    expires_at: dt.datetime | None,
) -> list[Share]:
    """Share the whole record (``sections`` empty) or some sections until ``expires_at``.

    Replaces any live share with the same professional, except that a legal
    guardian acting for the minor replaces only what a guardian granted: the
    minor's own share stays theirs (sections the minor shares already are
    not granted again), so that a guardian cannot turn the minor's basis into
    one of their own, which would no longer reach what is kept from them.
    """
    _require_self(access)
    unknown = set(sections) - set(SECTION_MODELS) - {DOCUMENTS_SECTION}
    if unknown:
        raise ValidationError(_("Rubrique inconnue : %(s)s.") % {"s": ", ".join(sorted(unknown))})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("La date de fin du partage doit être dans le futur."))
    if Block.objects.filter(patient=access.patient, professional=professional).exists():
        raise ValidationError(
            _(
                "Vous avez bloqué ce professionnel : débloquez-le avant de lui partager votre dossier."
            )
        )
    now = timezone.now()
    by_guardian = access.basis == AccessBasis.GUARDIAN
    with transaction.atomic():
        live = Share.objects.select_for_update().filter(
            patient=access.patient, professional=professional, revoked_at__isnull=True
        )
        kept: set[str] = set()
        if by_guardian:
            kept = set(live.filter(granted_by_guardian=False).values_list("section", flat=True))
            live = live.filter(granted_by_guardian=True)
        live.update(revoked_at=now)
        return Share.objects.bulk_create(
            Share(
                patient=access.patient,
                professional=professional,
                section=section,
                expires_at=expires_at,
                created_at=now,
                granted_by_guardian=by_guardian,
            )
            for section in (sorted(set(sections)) or [""])
            if section not in kept
        )


def share_revoke(*, access: RecordAccess, professional_id: int) -> int:
    """Revoke every live share with one professional, at once; returns how many rows.

    A legal guardian revokes only what a guardian granted: what the minor
    shared is the minor's to revoke. A guardian asking to revoke only the
    minor's share is refused (``ValidationError``), nothing changed.
    """
    _require_self(access)
    live = Share.objects.filter(
        patient=access.patient, professional_id=professional_id, revoked_at__isnull=True
    )
    if access.basis == AccessBasis.GUARDIAN:
        if not live.filter(granted_by_guardian=True).exists() and live.exists():
            raise ValidationError(
                _("%(name)s a accordé ce partage : lui seul peut le révoquer.")
                % {"name": access.patient.full_name}
            )
        live = live.filter(granted_by_guardian=True)
    return live.update(revoked_at=timezone.now())


def block_add(*, access: RecordAccess, professional: Professional) -> Block:
    """Shut a professional out entirely; the designated GP must be changed first.

    Ends the professional's shares; care relationships stay on record but
    give no access while the block stands.
    """
    _require_self(access)
    if DesignatedGP.objects.filter(patient=access.patient, professional=professional).exists():
        raise ValidationError(
            _(
                "Ce médecin est votre médecin traitant : changez de médecin traitant avant de le bloquer."
            )
        )
    with transaction.atomic():
        block, _created = Block.objects.get_or_create(
            patient=access.patient, professional=professional
        )
        Share.objects.filter(
            patient=access.patient, professional=professional, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    return block


def block_remove(*, access: RecordAccess, professional_id: int) -> None:
    """Lift a block; earlier bases (care relationship) apply again, revoked shares do not."""
    _require_self(access)
    Block.objects.filter(patient=access.patient, professional_id=professional_id).delete()


def entry_visibility_set(*, access: RecordAccess, entry: Entry, hidden: bool) -> Entry:
    """The patient hides an entry from professionals (or shows it again).

    Its author and the designated GP keep seeing it (``consent.policy``).
    """
    _require_self(access)
    if entry.patient_id != access.patient.pk:
        raise Http404
    with transaction.atomic():
        type(entry).objects.filter(pk=entry.pk).update(
            hidden_from_professionals=hidden, updated_at=timezone.now()
        )
        entry.hidden_from_professionals = hidden
        timeline_event_sync(entry=entry)
    return entry


def emergency_refusal_set(*, access: RecordAccess, refuses: bool) -> ConsentSettings:
    """Refuse (or accept again) emergency access; a refusal also ends running ones at once."""
    _require_self(access)
    row, _created = ConsentSettings.objects.update_or_create(
        patient=access.patient, defaults={"refuses_emergency_access": refuses}
    )
    return row


def emergency_access_open(
    *, user: User, nir: str, birth_date: dt.date, reason: str
) -> RecordAccess:
    """Break the glass: open a record without a basis, for a limited time.

    Only professions allowed to (emergency physicians) may; the patient is
    found by INS and birth date, and 404 answers for unknown patients and for
    patients who refused emergency access alike. The access is logged with
    its reason and the patient is notified.
    """
    if not may_break_glass(user):
        raise PermissionDenied(_("Votre profession ne permet pas l’accès en urgence."))
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError(_("Décrivez le motif de l’urgence (10 caractères au moins)."))
    patient = patient_by_identity(nir=nir, birth_date=birth_date, excluding_user=user)
    if (
        patient is None
        or ConsentSettings.objects.filter(patient=patient, refuses_emergency_access=True).exists()
    ):
        raise Http404
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            patient=patient,
            professional=user.professional,
            reason=reason,
            started_at=now,
            expires_at=now + EMERGENCY_DURATION,
        )
        AccessLog.objects.create(
            patient=patient,
            actor=user,
            actor_label=f"{user.professional.display_name}, {user.professional.title}",
            role="professional",
            basis=AccessBasis.EMERGENCY,
            action=AccessAction.READ,
            # The reason stays in the grant (erased with the record), not in
            # the log, which outlives an erasure.
            what=EMERGENCY_WHAT,
            object_id=grant.pk,
        )
        transaction.on_commit(lambda: _notify_emergency(grant.pk))
    return professional_record_access(user, patient.pk)


def _notify_emergency(grant_id: int) -> None:
    from consent.tasks import emergency_access_notify

    emergency_access_notify.delay(grant_id)


# --- Carers (aidants) ---


def carer_token_hash(token: str) -> str:
    """The SHA-256 (hex) under which an invitation token is stored; the token itself is not."""
    return hashlib.sha256(token.encode()).hexdigest()


def carer_invite(
    *,
    access: RecordAccess,
    email: str,
    sections: list[str],
    can_write: bool,
    expires_at: dt.datetime,
) -> tuple[CarerGrant, str]:
    """The patient invites a trusted person to some sections of the record until ``expires_at``.

    Returns the grant and the invitation token, which is only emailed (never
    stored in clear). The email holds the link and no health content.
    """
    _require_self(access)
    email = email.strip()
    if not email:
        raise ValidationError({"email": _("Indiquez l’adresse électronique de votre aidant.")})
    unknown = set(sections) - set(SECTION_MODELS) - {DOCUMENTS_SECTION}
    if unknown:
        raise ValidationError(
            {"sections": _("Rubrique inconnue : %(s)s.") % {"s": ", ".join(sorted(unknown))}}
        )
    if expires_at is None or expires_at <= timezone.now():
        raise ValidationError({"until": _("La date de fin de l’accès doit être dans le futur.")})
    own_emails = {e.lower() for e in (access.actor.email, access.patient.email) if e}
    if email.lower() in own_emails:
        raise ValidationError({"email": _("Vous ne pouvez pas vous inviter vous-même.")})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        grant = CarerGrant.objects.create(
            patient=access.patient,
            invited_email=email,
            token_hash=carer_token_hash(token),
            sections=sorted(set(sections)),
            can_write=can_write,
            expires_at=expires_at,
            invited_by_guardian=access.basis == AccessBasis.GUARDIAN,
        )
        transaction.on_commit(lambda: _send_carer_invitation(grant.pk, token))
    return grant, token


def _send_carer_invitation(grant_id: int, token: str) -> None:
    from consent.notifications import carer_invitation_send

    carer_invitation_send(grant_id=grant_id, token=token)


def carer_accept(*, user: User, token: str) -> CarerGrant:
    """The invited person accepts with the link's token; the grant is bound to their account.

    Accepting again by the same person returns the same grant. A wrong, used,
    revoked or expired token is refused with the same message.
    """
    refused = ValidationError(
        _("Cette invitation n’est pas valable : elle a expiré, a été annulée ou a déjà servi.")
    )
    if not token:
        raise refused
    with transaction.atomic():
        grant = (
            CarerGrant.objects.select_for_update()
            .select_related("patient")
            .filter(
                token_hash=carer_token_hash(token),
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if grant is None:
            raise refused
        if grant.accepted_at is not None:
            if grant.carer_id == user.pk:
                return grant
            raise refused
        if grant.patient.user_id == user.pk:
            raise ValidationError(_("Vous ne pouvez pas devenir votre propre aidant."))
        if user.email.strip().lower() != grant.invited_email.strip().lower():
            # Otherwise whoever holds the link (the person who sent it, say)
            # could bind the grant to an account of their own.
            raise ValidationError(
                _(
                    "Cette invitation a été envoyée à une autre adresse électronique : connectez-vous avec le compte de cette adresse pour l’accepter."
                )
            )
        grant.carer = user
        grant.accepted_at = timezone.now()
        grant.save(update_fields=["carer", "accepted_at"])
    return grant


def carer_revoke(*, access: RecordAccess, grant_id: int) -> CarerGrant:
    """The patient ends a carer's access (or cancels an invitation) at once; 404 if not theirs."""
    _require_self(access)
    grant = CarerGrant.objects.filter(
        pk=grant_id, patient=access.patient, revoked_at__isnull=True
    ).first()
    if grant is None:
        raise Http404
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    return grant


# --- Legal guardians of minors ---

MAX_GUARDIANS = 2


def guardianship_validate(*, patient: Patient, guardian: User) -> None:
    """Raise ``ValidationError`` (in French) if ``guardian`` may not be added now."""
    if not patient.is_minor:
        raise ValidationError(
            _("%(name)s est majeur(e) : un représentant légal ne peut plus être ajouté.")
            % {"name": patient.full_name}
        )
    if patient.user_id is not None and patient.user_id == guardian.pk:
        raise ValidationError(_("Une personne ne peut pas être son propre représentant légal."))
    live = Guardianship.objects.filter(patient=patient, ended_at__isnull=True)
    if live.filter(guardian=guardian).exists():
        raise ValidationError(
            _("Cette personne est déjà représentant légal %(of_name)s.")
            % {"of_name": of_name(patient.full_name)}
        )
    if live.count() >= MAX_GUARDIANS:
        raise ValidationError(
            _("%(name)s a déjà deux représentants légaux : retirez-en un d’abord.")
            % {"name": patient.full_name}
        )


def guardianship_add(*, patient: Patient, guardian: User) -> Guardianship:
    """Record a legal guardian (représentant légal) of a minor: at most two live.

    For admins and the cohort import. Adds for one child are serialised by a
    lock on the child's row, so two racing adds cannot make three guardians.
    """
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        guardianship_validate(patient=patient, guardian=guardian)
        return Guardianship.objects.create(patient=patient, guardian=guardian)


def guardianship_end(*, guardianship_id: int) -> bool:
    """Parental authority ended (court decision, recorded by an agent). Safe twice."""
    return bool(
        Guardianship.objects.filter(pk=guardianship_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=GuardianshipEnd.REMOVED
        )
    )


def guardianships_end_at_majority(*, today: dt.date | None = None) -> list[int]:
    """End every live guardianship of someone aged 18 or more.

    Returns the patients whose coming of age is still to be announced, which
    includes those a previous run ended but could not notify. Safe to run
    twice, and a run after downtime catches up on every birthday missed.
    """
    day = today or timezone.localdate()
    cutoff = latest_birth_date_for_age(day, MAJORITY_AGE)
    now = timezone.now()
    Guardianship.objects.filter(ended_at__isnull=True, patient__birth_date__lte=cutoff).update(
        ended_at=now, end_reason=GuardianshipEnd.MAJORITY
    )
    # Carers a guardian invited for the child end with the guardianship.
    CarerGrant.objects.filter(
        invited_by_guardian=True, revoked_at__isnull=True, patient__birth_date__lte=cutoff
    ).update(revoked_at=now)
    return sorted(
        set(
            Guardianship.objects.filter(
                end_reason=GuardianshipEnd.MAJORITY, end_notified_at__isnull=True
            ).values_list("patient_id", flat=True)
        )
    )


def entry_guardian_confidentiality_set(
    *, access: RecordAccess, entry: Entry, confidential: bool
) -> Entry:
    """Keep an entry of a minor's record from their legal guardians (and carers), or stop.

    A professional with access may do it; so may the minor, aged 15 or more,
    in their own record. Guardians never can: they do not see such entries.
    """
    patient = access.patient
    if entry.patient_id != patient.pk:
        raise Http404
    if not patient.is_minor:
        raise ValidationError(
            _("Ce dossier est celui d’une personne majeure : il n’a plus de représentant légal.")
        )
    if not access.may_keep_from_guardians:
        raise PermissionDenied
    with transaction.atomic():
        type(entry).objects.filter(pk=entry.pk).update(
            confidential_from_guardians=confidential, updated_at=timezone.now()
        )
        entry.confidential_from_guardians = confidential
        timeline_event_sync(entry=entry)
        access.log(action=AccessAction.WRITE, what=entry.section, object_id=entry.pk)
    return entry
