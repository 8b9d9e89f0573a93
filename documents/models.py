"""Documents: what was deposited (``Upload``), and what ingestion made of it (``Document``).

An ``Upload`` is stored encrypted as received, before anything else happens,
so a deposit is never lost; the ingestion task then turns it into exactly one
``Document`` (one-to-one, enforced by the database) or quarantines it with a
reason. Contents (original bytes, extracted text, preview) live in the
storage as AES-256-GCM blobs (``messpace.vault``); rows hold only metadata,
wrapped data keys and a blind search index.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.ingestion.types import DocumentType
from records.models import AuthorKind

# Visibility kinds of documents in the profession matrix: one per document type.
DOC_KIND_PREFIX = "doc_"


def visibility_kind_of(doc_type: str) -> str:
    return f"{DOC_KIND_PREFIX}{doc_type}"


# How long after opening a quarantined upload's contents its reviewer may decide on it.
REVIEW_VALIDITY = dt.timedelta(minutes=30)


class UploadState(models.TextChoices):
    RECEIVED = "received", _("Reçu, en attente de traitement")
    PROCESSING = "processing", _("En cours de traitement")
    DONE = "done", _("Intégré au dossier")
    QUARANTINED = "quarantined", _("En quarantaine")
    DELETED = "deleted", _("Supprimé")


class Upload(models.Model):
    """One deposit, kept encrypted as received until ingestion accepts or refuses it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="+")
    depositor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    depositor_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    doc_type = models.CharField(_("type de document"), max_length=32, choices=DocumentType.choices)
    title = models.CharField(_("titre"), max_length=200)
    act_date = models.DateField(_("date de l’acte"))
    author_label = models.CharField(_("auteur"), max_length=200, blank=True)
    source_system = models.CharField(_("système émetteur"), max_length=100, blank=True)
    source_id = models.CharField(_("identifiant source"), max_length=200, blank=True)
    # A new version of this document, published by its author.
    replaces = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("nom du fichier"), max_length=200)
    declared_mime = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    blob = models.CharField(max_length=200)
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=32)
    state = models.CharField(
        max_length=16, choices=UploadState.choices, default=UploadState.RECEIVED
    )
    reason_code = models.CharField(max_length=32, blank=True)
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # An admin released it from quarantine: the identity check is then skipped.
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    # The last quarantine review: the admin who opened this upload's contents, when,
    # and the reason they typed (free text: kept here, erased with the record, never
    # in the append-only access log, which records each opening).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(_("motif du contrôle"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dépôt")
        verbose_name_plural = _("dépôts")
        ordering = ["-created_at"]
        constraints = [
            # The same bytes from the same depositor for the same patient are one
            # deposit, however often sent. Not per patient alone: someone else's
            # identical deposit that this depositor may not see must not be revealed
            # by refusing theirs (see ``services.document_deposit``).
            models.UniqueConstraint(
                fields=["patient", "depositor", "sha256"],
                condition=~Q(state="deleted"),
                violation_error_message=_("Vous avez déjà déposé ce fichier dans ce dossier."),
                name="upload_once_per_depositor_content",
            ),
            # A sender's identifier names one deposit.
            models.UniqueConstraint(
                fields=["depositor", "source_system", "source_id"],
                condition=~Q(source_id="") & ~Q(state="deleted"),
                violation_error_message=_("Cet identifiant source a déjà été déposé."),
                name="upload_once_per_source_id",
            ),
            models.CheckConstraint(
                condition=~Q(state="quarantined") | ~Q(reason=""),
                violation_error_message=_("Un dépôt mis en quarantaine doit en indiquer le motif."),
                name="upload_quarantine_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["depositor", "-created_at"]),
        ]

    def __str__(self) -> str:
        # Ids and state only: this shows in the admin, logs and shells, where
        # a title (health data) has no place.
        return f"{self._meta.verbose_name} {self.pk} ({self.get_state_display()})"

    @property
    def owner(self) -> str:
        """The vault owner string of this upload's data key."""
        return f"upload:{self.pk}"

    def is_under_review_by(self, user_id: int | None, *, now: dt.datetime | None = None) -> bool:
        """This admin opened its contents, stating a reason, less than
        ``REVIEW_VALIDITY`` ago: they may decide on it (release or discard)."""
        if user_id is None or self.reviewed_by_id != user_id or self.reviewed_at is None:
            return False
        return self.reviewed_at >= (now or timezone.now()) - REVIEW_VALIDITY


class QuarantineReview(models.Model):
    """One opening of a quarantined upload's contents by an admin, with the reason
    they stated: every opening is kept (the upload's ``reviewed_*`` fields are
    the last one, for the decision), and the access-log row of the opening
    points here. Free text, so it goes with the upload when the record is
    erased, never into the append-only log."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("motif du contrôle"), max_length=500)

    class Meta:
        verbose_name = _("contrôle d’un dépôt en quarantaine")
        verbose_name_plural = _("contrôles de dépôts en quarantaine")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    CDA = "cda", "CDA R2"
    FHIR = "fhir", "FHIR R4"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    DICOM = "dicom", "DICOM"


class LiveDocumentManager(models.Manager["Document"]):
    def get_queryset(self) -> models.QuerySet[Document]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Document(models.Model):
    """A document in a patient's record: exactly one per accepted upload.

    Versions of one document share ``series`` (the first version's public id);
    ``is_current`` marks the latest, which lists show first.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="+")
    upload = models.OneToOneField(Upload, on_delete=models.PROTECT, related_name="document")
    series = models.UUIDField()
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    doc_type = models.CharField(_("type de document"), max_length=32, choices=DocumentType.choices)
    loinc = models.CharField(max_length=16, blank=True)
    title = models.CharField(_("titre"), max_length=200)
    act_date = models.DateField(_("date de l’acte"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author_label = models.CharField(_("auteur"), max_length=200, blank=True)
    source_system = models.CharField(max_length=100, blank=True)
    source_id = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200)
    # The data key of the extracted text and the preview (the original stays
    # the upload's blob, under the upload's key).
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=32)
    text_blob = models.CharField(max_length=200, blank=True)
    preview_blob = models.CharField(max_length=200, blank=True)
    # Blind index: keyed hashes of the normalised words of title and text.
    search_terms = models.JSONField(default=list, blank=True)
    hidden_from_professionals = models.BooleanField(_("masqué aux professionnels"), default=False)
    confidential_from_guardians = models.BooleanField(
        _("confidentiel vis-à-vis des représentants légaux"), default=False
    )
    notes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the patient was told a document arrived (claimed, so told once).
    notified_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = models.Manager()
    live = LiveDocumentManager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-act_date", "-created_at"]
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["series", "version"],
                violation_error_message=_("Cette version du document existe déjà."),
                name="document_one_per_version",
            ),
            models.UniqueConstraint(
                fields=["series"],
                condition=Q(is_current=True, deleted_at__isnull=True),
                violation_error_message=_("Ce document a déjà une version en cours."),
                name="document_one_current_per_series",
            ),
        ]
        indexes = [
            # The national figures count the deposits of a month.
            models.Index(fields=["created_at"]),
            models.Index(
                fields=["patient", "-act_date"],
                condition=Q(deleted_at__isnull=True),
                name="document_patient_live_idx",
            ),
        ]

    def __str__(self) -> str:
        # Not the title (health data): this shows in the admin, logs and shells.
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def owner(self) -> str:
        return f"document:{self.public_id}"

    @property
    def visibility_kind(self) -> str:
        return visibility_kind_of(self.doc_type)
