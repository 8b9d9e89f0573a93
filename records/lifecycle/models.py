"""A record's lifecycle: its states, the moves between them, and its closures.

Every change of ``Record.state`` goes through :mod:`records.lifecycle.services`
(``record_transition`` and its bulk form), which writes a ``RecordTransition``
in the same transaction; on PostgreSQL a deferred constraint trigger refuses
a state change without one (migration ``records.0013``).

A holder (the patient, or a legal guardian for a minor) closes their record:
it moves to ``closed``, every path into it answers 404 (the access policy
only opens ``active`` records), and its data is kept, archived, for ten
years. Reopening restores it as it was. A request for erasure schedules the
data's destruction within three months; what remains afterwards is the
``RecordClosure`` row (the proof: who asked, when, when it was done and how
much was erased) and the identity needed to honour it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordState(models.TextChoices):
    CREATED = "created", _("Créé")
    NOTIFIED = "notified", _("Notifié")
    OPPOSED = "opposed", _("Opposition")
    ACTIVE = "active", _("Actif")
    # Closed by its holder: archived, invisible to everyone, restored on reopening.
    CLOSED = "closed", _("Fermé")
    # Erased at the holder's request (or at the end of the archiving period);
    # only the identity needed to honour it and the proof of erasure remain.
    DELETED = "deleted", _("Supprimé")


# Allowed lifecycle moves; services refuse anything else.
RECORD_TRANSITIONS: dict[str, frozenset[str]] = {
    RecordState.CREATED: frozenset({RecordState.NOTIFIED, RecordState.ACTIVE, RecordState.OPPOSED}),
    RecordState.NOTIFIED: frozenset({RecordState.ACTIVE, RecordState.OPPOSED}),
    RecordState.OPPOSED: frozenset({RecordState.ACTIVE}),
    RecordState.ACTIVE: frozenset({RecordState.CLOSED}),
    RecordState.CLOSED: frozenset({RecordState.ACTIVE, RecordState.DELETED}),
    RecordState.DELETED: frozenset(),
}


class Record(models.Model):
    """A patient's health record and its lifecycle state. Only ACTIVE is usable."""

    patient = models.OneToOneField(
        "records.Patient", on_delete=models.PROTECT, related_name="record"
    )
    state = models.CharField(
        _("état"), max_length=16, choices=RecordState.choices, default=RecordState.CREATED
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        # created_at: the national figures count records by month of creation.
        indexes = [models.Index(fields=["state"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} — {self.get_state_display()}"

    @property
    def is_usable(self) -> bool:
        return self.state == RecordState.ACTIVE

    def can_move_to(self, state: str) -> bool:
        return state in RECORD_TRANSITIONS.get(self.state, frozenset())


class RecordTransition(models.Model):
    """Append-only history of a record's lifecycle."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=RecordState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=RecordState.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("changement d’état du dossier")
        verbose_name_plural = _("changements d’état du dossier")
        # The national figures count the records opened by a date.
        indexes = [models.Index(fields=["to_state", "at"])]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state} ({self.at:%Y-%m-%d})"


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
                violation_error_message=_("Ce dossier est déjà fermé."),
                name="closure_one_open_per_record",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | Q(erased_at__isnull=True),
                violation_error_message=_(
                    "Une fermeture se termine par une réouverture ou par un effacement, pas les deux."
                ),
                name="closure_reopened_or_erased",
            ),
            models.CheckConstraint(
                condition=Q(deletion_requested_at__isnull=True) | Q(erase_after__isnull=False),
                violation_error_message=_(
                    "Une demande de suppression doit avoir sa date d’effacement."
                ),
                name="closure_request_has_deadline",
            ),
        ]
        indexes = [
            # The national figures count the closures of a month.
            models.Index(fields=["closed_at"]),
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
