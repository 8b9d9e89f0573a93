"""The directory: structures, who practises where, the search index, and its imports.

A professional is ``accounts.Professional`` (one per RPPS, with or without a
login). The directory adds where they practise (``Activity``, one per
structure), the structures themselves (``Structure``: a practice, a
pharmacy, a hospital department, a laboratory), and one ``Listing`` per
professional: the words a search matches (names, profession, specialty,
structures, towns, postcodes), folded (no case, no accents), indexed on
PostgreSQL by a GIN index on their ``tsvector`` (migration ``0002``).

Writes go through ``messpace.directory.services``; reads through
``messpace.directory.selectors``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StructureKind(models.TextChoices):
    PRACTICE = "practice", _("Cabinet")
    PHARMACY = "pharmacy", _("Pharmacie")
    HOSPITAL = "hospital", _("Établissement ou service hospitalier")
    LABORATORY = "laboratory", _("Laboratoire de biologie médicale")
    OTHER = "other", _("Autre structure")


class Structure(models.Model):
    """Where professionals practise, as the national directory names it."""

    # The directory's "Identifiant technique de la structure" (stable across extracts).
    technical_id = models.CharField(_("identifiant de la structure"), max_length=32, unique=True)
    kind = models.CharField(
        _("type"), max_length=16, choices=StructureKind.choices, default=StructureKind.OTHER
    )
    name = models.CharField(_("nom"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True)
    sector_label = models.CharField(_("secteur d’activité"), max_length=120, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        indexes = [models.Index(fields=["finess"]), models.Index(fields=["siret"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"),
                violation_error_message=_("Le SIRET comporte 14 chiffres."),
                name="structure_siret_shape",
            ),
            models.CheckConstraint(
                condition=Q(finess="") | Q(finess__regex=r"^[0-9][0-9AB][0-9]{7}$"),
                violation_error_message=_("Le numéro FINESS comporte 9 caractères."),
                name="structure_finess_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})" if self.city else self.name


class Activity(models.Model):
    """A professional practises at a structure (one line of the extract)."""

    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.CASCADE, related_name="activities"
    )
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="activities")
    mode = models.CharField(_("mode d’exercice"), max_length=60, blank=True)
    # The import that last listed it: activities a full extract no longer lists end.
    seen_in = models.ForeignKey(
        "DirectoryImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An admin added this professional to the structure in the console (a member
    # the national extract does not list, or not yet): a full extract keeps it.
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lieu d’exercice")
        verbose_name_plural = _("lieux d’exercice")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "structure"],
                violation_error_message=_("Ce professionnel exerce déjà dans cette structure."),
                name="activity_once_per_structure",
            )
        ]

    def __str__(self) -> str:
        return f"{self.professional_id} @ {self.structure_id}"


class Listing(models.Model):
    """One professional as the directory's search sees them."""

    professional = models.OneToOneField(
        "accounts.Professional", on_delete=models.CASCADE, related_name="listing"
    )
    # Folded words (lower case, no accents): names, profession, specialty,
    # structures, towns and postcodes.
    search_text = models.TextField()
    # What a result line shows, without another query.
    summary = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    sort_name = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("fiche de l’annuaire")
        verbose_name_plural = _("fiches de l’annuaire")
        indexes = [models.Index(fields=["sort_name"])]

    def __str__(self) -> str:
        return self.sort_name


class DirectoryImportState(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class DirectoryImport(models.Model):
    """One extract of the national directory and the progress of its import."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("nom du fichier"), max_length=150)
    # The extract as received, in the storage: public data (the national
    # directory publishes it), kept until the import is done.
    file = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    # A full extract ends the activities it no longer lists; a partial file does not.
    full_extract = models.BooleanField(_("extraction complète"), default=True)
    state = models.CharField(
        _("état"),
        max_length=16,
        choices=DirectoryImportState.choices,
        default=DirectoryImportState.QUEUED,
    )
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    processed_rows = models.PositiveIntegerField(_("lignes traitées"), default=0)
    created_count = models.PositiveIntegerField(_("professionnels ajoutés"), default=0)
    updated_count = models.PositiveIntegerField(_("professionnels mis à jour"), default=0)
    unchanged_count = models.PositiveIntegerField(_("lignes sans changement"), default=0)
    error_count = models.PositiveIntegerField(_("lignes refusées"), default=0)
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    failure = models.TextField(_("motif de l’échec"), blank=True)

    class Meta:
        verbose_name = _("import de l’annuaire")
        verbose_name_plural = _("imports de l’annuaire")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")),
                violation_error_message=_(
                    "Un import ne peut pas avoir traité plus de lignes que le fichier n’en compte."
                ),
                name="directory_import_progress_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.state == DirectoryImportState.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.state in {DirectoryImportState.DONE, DirectoryImportState.FAILED}


class DirectoryImportError(models.Model):
    """A line the import refused: where and why (never the line itself)."""

    directory_import = models.ForeignKey(
        DirectoryImport, on_delete=models.CASCADE, related_name="errors"
    )
    line = models.PositiveIntegerField(_("ligne"))
    identifier = models.CharField(_("identifiant"), max_length=20, blank=True)
    message = models.TextField(_("motif"))

    class Meta:
        verbose_name = _("ligne refusée de l’annuaire")
        verbose_name_plural = _("lignes refusées de l’annuaire")
        ordering = ["directory_import", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["directory_import", "line"],
                violation_error_message=_("Cette ligne de l’import est déjà signalée."),
                name="directory_error_once_per_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"
