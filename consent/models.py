"""Permission data: care relationships and the access log.

Later work adds designated GPs, shares, blocks, guardians, carers and
emergency access here; ``consent.policy`` is the only reader of these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CareRelationship(models.Model):
    """A professional who takes care of a patient, recorded with the patient's consent."""

    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="care_relationships"
    )
    patient = models.ForeignKey(
        "records.Patient", on_delete=models.PROTECT, related_name="care_relationships"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Declared by the professional alone, attesting the patient's consent: the
    # patient is told at once and may end it (and block the professional).
    declared_by_professional = models.BooleanField(default=False)
    # The patient's notice of a declared relationship, claimed once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("relation de soins")
        verbose_name_plural = _("relations de soins")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "patient"],
                condition=Q(ended_at__isnull=True),
                violation_error_message=_(
                    "Une relation de soins est déjà en cours avec ce professionnel."
                ),
                name="care_relationship_one_open_per_pair",
            )
        ]
        indexes = [models.Index(fields=["professional", "ended_at"])]

    def __str__(self) -> str:
        # Its own id only: naming both sides would reveal care (admin, logs).
        return f"{self._meta.verbose_name} {self.pk}"


class DesignatedGP(models.Model):
    """The patient's designated general practitioner (médecin traitant), one at a time."""

    patient = models.OneToOneField(
        "records.Patient", on_delete=models.PROTECT, related_name="designated_gp"
    )
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="gp_of"
    )
    designated_at = models.DateTimeField(default=timezone.now)
    # Designated by a legal guardian acting for the minor: such a basis never
    # reaches what is kept confidential from the guardians.
    designated_by_guardian = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("médecin traitant")
        verbose_name_plural = _("médecins traitants")
        indexes = [models.Index(fields=["professional"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Share(models.Model):
    """Access the patient granted to a named professional: the whole record
    (``section`` empty) or one section per row, until ``expires_at``."""

    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="shares")
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="shares_received"
    )
    section = models.CharField(_("rubrique"), max_length=16, blank=True)
    expires_at = models.DateTimeField(_("jusqu’au"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Granted by a legal guardian acting for the minor: never reaches what is
    # kept confidential from the guardians.
    granted_by_guardian = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("partage")
        verbose_name_plural = _("partages")
        indexes = [models.Index(fields=["professional", "patient"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "professional", "section"],
                condition=Q(revoked_at__isnull=True),
                violation_error_message=_(
                    "Cette rubrique est déjà partagée avec ce professionnel."
                ),
                name="share_one_live_per_section",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Block(models.Model):
    """A professional the patient shut out entirely (only emergency access overrides it)."""

    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="blocks")
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="blocked_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("professionnel bloqué")
        verbose_name_plural = _("professionnels bloqués")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "professional"],
                violation_error_message=_("Ce professionnel est déjà bloqué."),
                name="block_once_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ProfessionVisibility(models.Model):
    """The profession × item-kind matrix: what a profession sees by default.

    Kept as data so admins can change it; a profession or kind without a row
    falls back to ``consent.visibility.DEFAULT_MATRIX``.
    """

    profession = models.CharField(_("profession"), max_length=32)
    item_kind = models.CharField(_("type d’élément"), max_length=16)
    visible = models.BooleanField(_("visible"), default=True)

    class Meta:
        verbose_name = _("visibilité par profession")
        verbose_name_plural = _("matrice de visibilité par profession")
        ordering = ["profession", "item_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["profession", "item_kind"],
                violation_error_message=_(
                    "Cette profession a déjà une règle pour ce type d’élément."
                ),
                name="visibility_one_per_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.profession} × {self.item_kind}: {'oui' if self.visible else 'non'}"


class EmergencyAccess(models.Model):
    """Break-glass access: a stated reason, a limited time, the patient told."""

    patient = models.ForeignKey(
        "records.Patient", on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    reason = models.CharField(_("motif"), max_length=500)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("accès en urgence")
        verbose_name_plural = _("accès en urgence")
        indexes = [models.Index(fields=["professional", "patient", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("started_at")),
                violation_error_message=_("La fin de l’accès en urgence doit suivre son début."),
                name="emergency_expires_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class ConsentSettings(models.Model):
    """The patient's standing choices about access to their record."""

    patient = models.OneToOneField(
        "records.Patient", on_delete=models.PROTECT, related_name="consent_settings"
    )
    refuses_emergency_access = models.BooleanField(_("refuser l’accès en urgence"), default=False)

    class Meta:
        verbose_name = _("choix d’accès du patient")
        verbose_name_plural = _("choix d’accès des patients")

    def __str__(self) -> str:
        return f"settings of {self.patient_id}"


class AccessBasis(models.TextChoices):
    CARE_RELATIONSHIP = "care", _("Relation de soins")
    # A care relationship the professional declared alone (attesting consent).
    CARE_DECLARED = "care_declared", _("Relation de soins déclarée par le professionnel")
    DESIGNATED_GP = "gp", _("Médecin traitant")
    SHARE = "share", _("Partage accordé par le patient")
    EMERGENCY = "emergency", _("Accès en urgence")
    GUARDIAN = "guardian", _("Représentant légal")
    CARER = "carer", _("Aidant")
    SUPPORT = "support", _("Assistance")
    # The holder's own act on the record's life (closing, reopening): the only
    # rows about the patient themself, so the history shows who closed it.
    HOLDER = "holder", _("Titulaire du dossier")
    # An admin opened a quarantined upload to decide on it, having typed a reason
    # (kept on the upload, not here).
    QUARANTINE_REVIEW = "quarantine", _("Contrôle d’un dépôt en quarantaine")


class AccessAction(models.TextChoices):
    READ = "read", _("Consultation")
    WRITE = "write", _("Ajout ou modification")
    DELETE = "delete", _("Suppression")
    CLOSE = "close", _("Fermeture du dossier")
    REOPEN = "reopen", _("Réouverture du dossier")


# ``AccessLog.what`` of an emergency opening; ``object_id`` is the EmergencyAccess,
# which holds the reason (free clinical text kept out of the log).
EMERGENCY_WHAT = "emergency"
# ``AccessLog.what`` of a care relationship a professional declared; ``object_id``
# is the CareRelationship.
CARE_DECLARATION_WHAT = "care_relationship"


class AccessLog(models.Model):
    """One row per read or write of a record by anyone other than the patient.

    Append-only: rows are only ever inserted by ``consent.policy``.
    """

    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    role = models.CharField(max_length=16)
    basis = models.CharField(max_length=16, choices=AccessBasis.choices)
    action = models.CharField(max_length=8, choices=AccessAction.choices)
    what = models.CharField(max_length=120)
    object_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trace d’accès")
        verbose_name_plural = _("traces d’accès")
        ordering = ["-at", "-id"]
        # at: the national figures count the records consulted in a month.
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        # Not who nor what (a section, a document): with the patient, that is health data.
        return f"{self._meta.verbose_name} {self.pk} ({self.at:%Y-%m-%d %H:%M})"


class CarerGrant(models.Model):
    """A trusted person (aidant) the patient lets into some sections of the record.

    Created as an invitation to an email address; ``carer`` is set when the
    invited person accepts with the link's token, of which only the SHA-256 is
    kept. Live while accepted, not revoked and not expired.
    """

    patient = models.ForeignKey(
        "records.Patient", on_delete=models.PROTECT, related_name="carer_grants"
    )
    carer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carer_grants",
    )
    invited_email = models.EmailField(_("adresse électronique de l’aidant"))
    token_hash = models.CharField(max_length=64, unique=True)
    sections = models.JSONField(_("rubriques"), default=list, blank=True)
    can_write = models.BooleanField(_("peut ajouter et modifier"), default=False)
    expires_at = models.DateTimeField(_("jusqu’au"))
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Invited by a legal guardian acting for the minor: such grants end at 18,
    # with the guardianship, so that no guardian keeps a way in through them.
    invited_by_guardian = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("aidant")
        verbose_name_plural = _("aidants")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["carer", "patient"]),
            models.Index(fields=["patient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def status(self) -> str:
        """``revoked``, ``expired``, ``invited`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.accepted_at is None:
            return "invited"
        return "active"


class GuardianshipEnd(models.TextChoices):
    MAJORITY = "majority", _("Majorité")
    REMOVED = "removed", _("Fin de l’autorité parentale")


class Guardianship(models.Model):
    """A legal guardian (représentant légal) of a minor: up to two live at once.

    The guardian acts as the child in the child's record (everything the
    patient may do), each access logged as the guardian's. Ends at the
    child's 18th birthday (``consent.tasks.guardianships_end_at_majority``)
    or when an agent records that parental authority ended.
    """

    patient = models.ForeignKey(
        "records.Patient", on_delete=models.PROTECT, related_name="guardianships"
    )
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardianships"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=GuardianshipEnd.choices, blank=True)
    # Set once the end was announced to the guardian and the young adult.
    end_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("représentant légal")
        verbose_name_plural = _("représentants légaux")
        ordering = ["patient_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "guardian"],
                condition=models.Q(ended_at__isnull=True),
                violation_error_message=_(
                    "Cette personne est déjà représentant légal de cet enfant."
                ),
                name="guardianship_one_live_per_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | models.Q(ended_at__isnull=False) & ~models.Q(end_reason=""),
                violation_error_message=_(
                    "La fin d’une autorité parentale s’enregistre avec son motif."
                ),
                name="guardianship_end_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["guardian", "patient"])]

    def __str__(self) -> str:
        return f"{self.guardian_id} → {self.patient_id}"
