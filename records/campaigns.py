"""Opt-out campaigns: the notice each insured person receives, and how it reached them.

A ``Campaign`` picks records in state ``created`` (by import batch, postcode,
birth years) and gives each exactly one ``Notice`` (one-to-one with the
record: nobody is notified twice, whatever the campaigns). A notice carries the
personal code (only its keyed hash is kept) and the date the record opens
unless the person opposes. It reaches the person, or the guardians of a
minor, through ``NoticeDelivery`` rows: an email where an address is known,
otherwise a letter printed in a ``LetterBatch`` (one PDF and one manifest per
batch for the print house, stored encrypted).

Writes go through ``records.campaign_services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Campaign",
    "CampaignState",
    "DeliveryChannel",
    "DeliveryState",
    "LetterBatch",
    "Notice",
    "NoticeDelivery",
    "NoticeOutcome",
]

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
        "records.CohortImport",
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
        verbose_name = _("campagne d’information")
        verbose_name_plural = _("campagnes d’information")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(delay_days__gte=1), name="campaign_delay_positive"),
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
        verbose_name = _("avis d’information")
        verbose_name_plural = _("avis d’information")
        constraints = [
            models.UniqueConstraint(
                fields=["code_hash"], condition=~Q(code_hash=""), name="notice_code_unique"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "issued_at"]),
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
        verbose_name = _("lot de courriers")
        verbose_name_plural = _("lots de courriers")
        ordering = ["campaign_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="letter_batch_number")
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
        verbose_name = _("envoi d’un avis")
        verbose_name_plural = _("envois des avis")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "recipient_key", "channel"], name="delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "state"]),
            # Returns name an email address, compared without case.
            models.Index(Lower("email"), name="delivery_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.recipient_key} ({self.channel})"
