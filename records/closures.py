"""Closing a record, reopening it, and erasing it (R1111-36).

A holder (the patient, or a legal guardian for a minor) closes their record:
it moves to ``closed``, every path into it answers 404 (the access policy
only opens ``active`` records), and its data is kept, archived, for ten
years. Reopening restores it as it was. A request for erasure schedules the
data's destruction within three months; what remains afterwards is this row
(the proof: who asked, when, when it was done and how much was erased) and
the identity needed to honour it.

Writes go through ``records.closure_services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ClosedByRole", "ErasureCause", "RecordClosure"]

ARCHIVE_YEARS = 10


class ClosedByRole(models.TextChoices):
    PATIENT = "patient", _("Titulaire")
    GUARDIAN = "guardian", _("Représentant légal")
    AGENT = "agent", _("Service d’assistance")


class ErasureCause(models.TextChoices):
    REQUEST = "request", _("Demande de suppression")
    RETENTION = "retention", _("Fin de la durée d’archivage")


class RecordClosure(models.Model):
    """One closure of a record, from closing to reopening or erasure."""

    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="closures")
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    closed_by_role = models.CharField(max_length=10, choices=ClosedByRole.choices)
    # The archive is destroyed after this day unless reopened before.
    keep_until = models.DateField()
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deletion_requested_by_role = models.CharField(
        max_length=10, choices=ClosedByRole.choices, blank=True
    )
    # Erasure runs from this moment (a period to change one's mind), and at the
    # latest three months after the request.
    erase_after = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The proof of erasure: when, why, and how many rows and files of each kind.
    erased_at = models.DateTimeField(null=True, blank=True)
    erasure_cause = models.CharField(max_length=10, choices=ErasureCause.choices, blank=True)
    erased_counts = models.JSONField(default=dict, blank=True)
    # Claimed by the erasure task (a conditional UPDATE), so two runs never race.
    erasure_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("fermeture de dossier")
        verbose_name_plural = _("fermetures de dossier")
        ordering = ["-closed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(reopened_at__isnull=True, erased_at__isnull=True),
                name="closure_one_open_per_record",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | Q(erased_at__isnull=True),
                name="closure_reopened_or_erased",
            ),
            models.CheckConstraint(
                condition=Q(deletion_requested_at__isnull=True) | Q(erase_after__isnull=False),
                name="closure_request_has_deadline",
            ),
        ]
        indexes = [
            models.Index(
                fields=["erase_after"],
                condition=Q(erased_at__isnull=True, reopened_at__isnull=True),
                name="closure_erase_due_idx",
            ),
            models.Index(
                fields=["keep_until"],
                condition=Q(erased_at__isnull=True, reopened_at__isnull=True),
                name="closure_keep_until_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} fermé le {self.closed_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        """Still closing the record: neither reopened nor erased."""
        return self.reopened_at is None and self.erased_at is None
