"""Opt-out activation: the cohorts of insured persons, the campaigns that inform
them, and each person's notice and how it reached them.

**Cohorts.** An admin uploads a CSV of insured persons; the file is kept
encrypted (``messpace.vault``) while a Celery task reads it in chunks and
creates a patient and a record in state ``created`` for each new person. The
rows here hold the import's progress, the rejected lines (with the NIR
masked, never the whole row), which patients each import mentioned (so that
a campaign can pick an import) and the NIRs of the guardians to inform.

**Campaigns.** A ``Campaign`` picks records in state ``created`` (by import,
postcode, birth years) and gives each exactly one ``Notice`` (one-to-one with
the record: nobody is notified twice, whatever the campaigns). A notice
carries the personal code (only its keyed hash is kept, and a copy sealed
under the campaign's key) and the date the record opens unless the person
opposes. It reaches the person, or the guardians of a minor, through
``NoticeDelivery`` rows: an email where an address is known, otherwise a
letter printed in a ``LetterBatch`` (one PDF and one manifest per batch for
the print house, stored encrypted).

The tables kept the names they had when these models lived in ``records``
(``db_table``), so moving them changed no data. Writes go through
``consent.optout.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Cohorts -----------------------------------------------------------------------------------


class CohortImportState(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class CohortImport(models.Model):
    """One uploaded CSV of insured persons and the progress of its import."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("importé par"),
    )
    filename = models.CharField(_("nom du fichier"), max_length=150)
    # Encoding the file arrived in (the blob holds it re-encoded as UTF-8).
    encoding = models.CharField(_("encodage d’origine"), max_length=16, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    state = models.CharField(
        _("état"),
        max_length=16,
        choices=CohortImportState.choices,
        default=CohortImportState.QUEUED,
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    created_count = models.PositiveIntegerField(_("dossiers créés"), default=0)
    unchanged_count = models.PositiveIntegerField(_("déjà connus"), default=0)
    duplicate_count = models.PositiveIntegerField(_("doublons dans le fichier"), default=0)
    error_count = models.PositiveIntegerField(_("lignes refusées"), default=0)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # The CSV, encrypted under this row's data key; emptied once the import is done.
    blob = models.CharField(max_length=200, blank=True)
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=32)
    failure = models.TextField(_("motif de l’échec"), blank=True)

    class Meta:
        db_table = "records_cohortimport"  # its name before the move
        verbose_name = _("import de population")
        verbose_name_plural = _("imports de population")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")),
                violation_error_message=_(
                    "Un import ne peut pas avoir traité plus de lignes que le fichier n’en compte."
                ),
                name="cohort_import_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%d/%m/%Y %H:%M})" if self.created_at else ""

    @property
    def owner(self) -> str:
        """The vault owner of this import's data key and blob."""
        return f"cohort-import:{self.public_id}"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.state == CohortImportState.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.state in (CohortImportState.DONE, CohortImportState.FAILED)


class CohortImportError(models.Model):
    """A rejected (or duplicated) line of an import: where, why, and whose NIR, masked."""

    cohort_import = models.ForeignKey(CohortImport, on_delete=models.CASCADE, related_name="errors")
    line = models.PositiveIntegerField(_("ligne"))
    # Only the last characters of the NIR, so the report can be matched without
    # repeating the identifier: the row itself is never kept.
    nir_masked = models.CharField(_("NIR (masqué)"), max_length=20, blank=True)
    message = models.TextField(_("motif"))

    class Meta:
        db_table = "records_cohortimporterror"  # its name before the move
        verbose_name = _("ligne refusée")
        verbose_name_plural = _("lignes refusées")
        ordering = ["cohort_import", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort_import", "line"],
                violation_error_message=_("Cette ligne de l’import est déjà signalée."),
                name="cohort_error_once_per_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class CohortMember(models.Model):
    """An import mentioned this patient (new or already known)."""

    cohort_import = models.ForeignKey(
        CohortImport, on_delete=models.CASCADE, related_name="members"
    )
    patient = models.ForeignKey(
        "records.Patient", on_delete=models.CASCADE, related_name="cohort_memberships"
    )
    created = models.BooleanField(default=False)

    class Meta:
        db_table = "records_cohortmember"  # its name before the move
        verbose_name = _("personne importée")
        verbose_name_plural = _("personnes importées")
        constraints = [
            models.UniqueConstraint(
                fields=["cohort_import", "patient"],
                violation_error_message=_("Cette personne figure déjà dans cet import."),
                name="cohort_member_once_per_import",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort_import_id}: {self.patient_id}"


class GuardianToInform(models.Model):
    """The NIR of a minor's guardian, given by an import, to inform them later.

    The guardianship itself needs the guardian's account and is created by the
    activation campaign; this row only keeps whom to inform.
    """

    patient = models.ForeignKey(
        "records.Patient", on_delete=models.CASCADE, related_name="guardians_to_inform"
    )
    guardian_nir = models.CharField(_("NIR du représentant légal"), max_length=15)
    cohort_import = models.ForeignKey(
        CohortImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "records_guardiantoinform"  # its name before the move
        verbose_name = _("représentant légal à informer")
        verbose_name_plural = _("représentants légaux à informer")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "guardian_nir"],
                violation_error_message=_(
                    "Ce représentant légal est déjà à informer pour cet enfant."
                ),
                name="guardian_to_inform_once",
            ),
            models.CheckConstraint(
                condition=Q(guardian_nir__regex=r"^[12][0-9]{4}(2A|2B|[0-9]{2})[0-9]{8}$"),
                violation_error_message=_(
                    "Le NIR du représentant légal doit comporter 15 caractères, clé comprise."
                ),
                name="guardian_to_inform_nir_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: …{self.guardian_nir[-4:]}"


# --- Campaigns ---------------------------------------------------------------------------------

DEFAULT_DELAY_DAYS = 42  # six weeks (Code de la santé publique, R1111-28)


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    RUNNING = "running", _("En cours d’envoi")
    DONE = "done", _("Envoyée")


class Campaign(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        _("état"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    # Filters over records in state "created" (all optional).
    cohort_import = models.ForeignKey(
        "optout.CohortImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import"),
    )
    postcode_prefixes = models.CharField(
        _("codes postaux (débuts)"),
        max_length=200,
        blank=True,
        help_text=_("Séparés par des virgules, par exemple « 75, 92, 93 » ; vide : tous."),
    )
    birth_year_from = models.PositiveIntegerField(_("né(e) à partir de"), null=True, blank=True)
    birth_year_to = models.PositiveIntegerField(_("né(e) jusqu’en"), null=True, blank=True)
    delay_days = models.PositiveIntegerField(
        _("délai avant ouverture (jours)"), default=DEFAULT_DELAY_DAYS
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The data key sealing this campaign's personal codes (kept so that a lost
    # email can be sent again, or a letter reprinted, with the same code).
    wrapped_key = models.BinaryField(default=b"")
    key_id = models.CharField(max_length=32, blank=True)

    class Meta:
        db_table = "records_campaign"  # its name before the move
        verbose_name = _("campagne d’information")
        verbose_name_plural = _("campagnes d’information")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delay_days__gte=1),
                violation_error_message=_("Le délai avant ouverture doit être d’au moins un jour."),
                name="campaign_delay_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NoticeOutcome(models.TextChoices):
    OPPOSED = "opposed", _("Opposition")
    ACTIVATED_EARLY = "activated", _("Ouverture anticipée")
    OPENED = "opened", _("Ouverture automatique")


class Notice(models.Model):
    """The one information notice of a record: its code, its opening date and how
    it ended (opposition, early opening, or opening after the delay)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="notices")
    record = models.OneToOneField("records.Record", on_delete=models.PROTECT, related_name="notice")
    # Filled when the notice is issued (batch by batch).
    reference = models.CharField(max_length=32, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sealed = models.BinaryField(default=b"")
    issued_at = models.DateTimeField(null=True, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=NoticeOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # The answer was taken by a support agent (phone, desk) rather than online.
    outcome_by_support = models.BooleanField(default=False)

    class Meta:
        db_table = "records_notice"  # its name before the move
        verbose_name = _("avis d’information")
        verbose_name_plural = _("avis d’information")
        constraints = [
            models.UniqueConstraint(
                fields=["code_hash"],
                condition=~Q(code_hash=""),
                violation_error_message=_("Ce code personnel est déjà celui d’un autre avis."),
                name="notice_code_unique",
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "issued_at"]),
            # The national figures count the oppositions of a month.
            models.Index(fields=["outcome", "outcome_at"]),
            models.Index(fields=["reference"], name="notice_reference_idx"),
            models.Index(
                fields=["opens_at"], condition=Q(issued_at__isnull=False), name="notice_opens_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"notice {self.pk}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Courriel")
    LETTER = "letter", _("Courrier")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    # Claimed for sending: if a worker dies here, nobody knows whether the
    # email left; it is then replaced by a letter rather than sent again.
    SENDING = "sending", _("En cours d’envoi")
    SENT = "sent", _("Envoyé")
    PRINTED = "printed", _("Dans un lot d’impression")
    BOUNCED = "bounced", _("Non distribué")
    # The person answered (opposed, opened early) before this email left.
    CANCELLED = "cancelled", _("Annulé (avis déjà répondu)")


class LetterBatch(models.Model):
    """One PDF of letters and its manifest for the print house (encrypted blobs)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="letter_batches")
    number = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    pdf_blob = models.CharField(max_length=200)
    manifest_blob = models.CharField(max_length=200)
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=32)
    # Names, addresses and codes are kept only as long as the print house needs
    # them: then the files are deleted and only the counts remain.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "records_letterbatch"  # its name before the move
        verbose_name = _("lot de courriers")
        verbose_name_plural = _("lots de courriers")
        ordering = ["campaign_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number"],
                violation_error_message=_(
                    "Ce numéro de lot de courriers existe déjà pour cette campagne."
                ),
                name="letter_batch_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}-{self.number}"

    @property
    def owner(self) -> str:
        return f"letterbatch:{self.pk}"


class NoticeDelivery(models.Model):
    """How a notice reaches one recipient: the person, or a guardian of a minor."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    # The recipient: "self" or the guardian's NIR.
    recipient_key = models.CharField(max_length=16)
    recipient_name = models.CharField(max_length=200)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    email = models.EmailField(blank=True)
    letter_batch = models.ForeignKey(
        LetterBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    address_lines = models.JSONField(default=list, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "records_noticedelivery"  # its name before the move
        verbose_name = _("envoi d’un avis")
        verbose_name_plural = _("envois des avis")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "recipient_key", "channel"],
                violation_error_message=_(
                    "Cet avis est déjà envoyé à ce destinataire par ce moyen."
                ),
                name="delivery_once_per_channel",
            )
        ]
        indexes = [
            models.Index(fields=["channel", "state"]),
            # Returns name an email address, compared without case.
            models.Index(Lower("email"), name="delivery_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.recipient_key} ({self.channel})"
