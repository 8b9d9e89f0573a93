"""Cohorts: CSV imports of insured persons, the first step of opt-out activation.

An admin uploads a CSV of insured persons; the file is kept encrypted
(``messpace.vault``) while a Celery task reads it in chunks and creates a
patient and a record in state ``created`` for each new person. The rows here
hold the import's progress, the rejected lines (with the NIR masked, never the
whole row), which patients each import mentioned (so a later campaign can pick
an import batch) and the NIRs of the guardians to inform for minors.

Writes go through ``records.cohort_services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CohortImport",
    "CohortImportError",
    "CohortImportState",
    "CohortMember",
    "GuardianToInform",
]


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
        verbose_name = _("import de population")
        verbose_name_plural = _("imports de population")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")),
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
        verbose_name = _("ligne refusée")
        verbose_name_plural = _("lignes refusées")
        ordering = ["cohort_import", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort_import", "line"], name="cohort_error_once_per_line"
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
        verbose_name = _("personne importée")
        verbose_name_plural = _("personnes importées")
        constraints = [
            models.UniqueConstraint(
                fields=["cohort_import", "patient"], name="cohort_member_once_per_import"
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
        verbose_name = _("représentant légal à informer")
        verbose_name_plural = _("représentants légaux à informer")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "guardian_nir"], name="guardian_to_inform_once"
            ),
            models.CheckConstraint(
                condition=Q(guardian_nir__regex=r"^[12][0-9]{4}(2A|2B|[0-9]{2})[0-9]{8}$"),
                name="guardian_to_inform_nir_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}: …{self.guardian_nir[-4:]}"
