"""The health history ("Mon histoire de santé"): one row per event of a record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from records.models.entries import AuthorKind


class EventKind(models.TextChoices):
    CONDITION = "condition", _("Maladie")
    TREATMENT = "treatment", _("Traitement")
    HOSPITALISATION = "hospitalisation", _("Hospitalisation")
    HANDICAP = "handicap", _("Handicap")
    ALLERGY = "allergy", _("Allergie")
    FAMILY = "family", _("Antécédent familial")
    HABIT = "habit", _("Habitude de vie")
    VACCINATION = "vaccination", _("Vaccination")
    MEASURE = "measure", _("Mesure")
    DOCUMENT = "document", _("Document")
    MESSAGE = "message", _("Message")
    DISPENSATION = "dispensation", _("Délivrance de médicament")


class TimelineEvent(models.Model):
    """One row per event of a record, written by the services ("Mon histoire de santé").

    The row mirrors what the timeline shows so that listing, filtering and
    paginating is one indexed query, whatever the number of sections.
    """

    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    source_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    # True when the source carries no date of its own and occurred_at is its entry date.
    date_is_entry_date = models.BooleanField(default=False)
    title = models.CharField(max_length=255)
    summary = models.CharField(max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author_label = models.CharField(max_length=200, blank=True)
    deleted = models.BooleanField(default=False)
    # Mirrors of the source's visibility, so the policy filters events in SQL.
    visibility_kind = models.CharField(max_length=16, default="")
    hidden_from_professionals = models.BooleanField(default=False)
    confidential_from_guardians = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("événement de l’histoire de santé")
        verbose_name_plural = _("événements de l’histoire de santé")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_id"],
                violation_error_message=_("Cet élément figure déjà dans l’histoire de santé."),
                name="timeline_one_event_per_source",
            )
        ]
        indexes = [
            models.Index(
                fields=["patient", "-occurred_at", "-id"],
                condition=Q(deleted=False),
                name="timeline_patient_live_idx",
            ),
            models.Index(
                fields=["patient", "kind", "-occurred_at"], name="timeline_patient_kind_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.title}"
