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

    class Meta:
        verbose_name = _("relation de soins")
        verbose_name_plural = _("relations de soins")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "patient"],
                condition=Q(ended_at__isnull=True),
                name="care_relationship_one_open_per_pair",
            )
        ]
        indexes = [models.Index(fields=["professional", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.professional} → {self.patient}"


class AccessBasis(models.TextChoices):
    CARE_RELATIONSHIP = "care", _("Relation de soins")
    DESIGNATED_GP = "gp", _("Médecin traitant")
    SHARE = "share", _("Partage accordé par le patient")
    EMERGENCY = "emergency", _("Accès en urgence")
    GUARDIAN = "guardian", _("Représentant légal")
    CARER = "carer", _("Aidant")
    SUPPORT = "support", _("Assistance")


class AccessAction(models.TextChoices):
    READ = "read", _("Consultation")
    WRITE = "write", _("Ajout ou modification")
    DELETE = "delete", _("Suppression")


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
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.what}"
