"""Documents: deposit, the ingestion pipeline, versions, hiding and deletion.

A deposit is stored encrypted as received and queued (``document_deposit``);
the ``ingest`` queue then runs ``upload_process``, which claims the upload
with a conditional UPDATE and runs ordered steps (type from the bytes, limits,
malware scan, parsing, identity check, text and preview) before writing the
``Document``, its timeline event and the patient's notice in one transaction.
A step that refuses quarantines the upload with its reason; a transient
failure (scanner or storage down) puts it back for a retry. Nothing is ever
dropped: ``uploads_resume`` requeues whatever a lost message left behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import AccessAction, AccessBasis, AccessLog
from consent.policy import RecordAccess
from documents import search
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parse import Parsed, parse
from documents.ingestion.pdf import pdf_preview
from documents.ingestion.sniff import Sniffed, sniff
from documents.ingestion.types import LOINC_OID, DocumentType
from documents.models import Document, QuarantineReview, Upload, UploadState
from documents.scanning import ScanInfected, ScannerUnavailable, scan_bytes
from messpace import vault
from messpace.blobs import blob_delete, blob_get, blob_put
from records.lifecycle.models import Record, RecordState
from records.models import MARKUP_RE, AuthorKind, TimelineEvent

if TYPE_CHECKING:
    from messpace.accounts.models import User

log = logging.getLogger(__name__)

# Errors worth a retry: the file is fine, something it needs is not reachable.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ScannerUnavailable, OSError, ConnectionError)

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Claims of one upload before it is quarantined as crashing its workers.
MAX_ATTEMPTS = 3

# Refusals of the rules of ``RecordAccess.may_replace_document`` and
# ``may_delete_document``, in the services and on the pages alike.
REPLACE_REFUSED = gettext_lazy(
    "Seul l’auteur d’un document peut en publier une nouvelle version, à partir de la plus récente."
)
DELETE_REFUSED = gettext_lazy(
    "Ce document a été déposé par un professionnel : vous pouvez le masquer, pas le supprimer."
)

# The quarantine review: a reason of at least this length, and the decision
# (release or discard) within this time of opening the contents.
REVIEW_REASON_MIN_LENGTH = 10
REVIEW_REASON_MAX_LENGTH = 500
# ``AccessLog.what`` and ``role`` of a quarantine review.
REVIEW_WHAT = "upload"
REVIEW_ROLE = "admin"


def limits() -> Limits:
    return Limits(max_bytes=settings.MESSPACE_DOCUMENT_MAX_BYTES)


def safe_filename(name: str) -> str:
    """A file name safe to store and to send back: no path, no control characters.

    ``../../etc/passwd`` becomes ``passwd``; an empty result becomes ``document``.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL_RE.sub("", name).strip().lstrip(".")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    return name[:150] or "document"


def _author_kind(access: RecordAccess) -> str:
    if access.is_self:
        return AuthorKind.PATIENT
    if access.role in {AuthorKind.CARER, AuthorKind.GUARDIAN}:
        return access.role
    return AuthorKind.PROFESSIONAL


@dataclass(frozen=True)
class Deposit:
    upload: Upload
    created: bool


def document_deposit(
    *,
    access: RecordAccess,
    content: bytes,
    filename: str,
    declared_mime: str,
    doc_type: str,
    title: str,
    act_date: dt.date,
    author_label: str = "",
    source_system: str = "",
    source_id: str = "",
    replaces: Document | None = None,
) -> Deposit:
    """Store a deposit encrypted as received and queue its ingestion.

    Idempotent for its depositor: their own live upload of the same bytes for
    this patient, or of the same sender's identifier, answers instead of a
    second one (``created`` false); the same identifier with other bytes is
    refused. Someone else's upload of the same bytes is reported only when
    its document is one this depositor may see; otherwise the deposit is
    theirs, exactly as for new bytes, so that the answer never reveals a
    document hidden from them. Raises ``PermissionDenied`` unless the access
    may deposit (``RecordAccess.may_deposit``) and ``ValidationError`` (French,
    per field) on bad input; nothing is stored then.
    """
    if not access.may_deposit():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if doc_type not in DocumentType.values:
        errors.setdefault("doc_type", []).append(_("Choisissez un type de document de la liste."))
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Donnez un titre au document."))
    elif len(title) > 200 or MARKUP_RE.search(title):
        errors.setdefault("title", []).append(
            _("Le titre doit faire au plus 200 caractères, sans balises HTML.")
        )
    if MARKUP_RE.search(author_label or "") or len(author_label) > 200:
        errors.setdefault("author_label", []).append(
            _("L’auteur doit faire au plus 200 caractères, sans balises HTML.")
        )
    if act_date > timezone.localdate():
        errors.setdefault("act_date", []).append(_("La date de l’acte ne peut pas être future."))
    elif act_date < access.patient.birth_date - dt.timedelta(days=300):
        errors.setdefault("act_date", []).append(
            _("La date de l’acte précède la naissance du patient.")
        )
    if not content:
        errors.setdefault("file", []).append(_("Le fichier est vide."))
    elif len(content) > settings.MESSPACE_DOCUMENT_MAX_BYTES:
        errors.setdefault("file", []).append(_max_size_message())
    if len(source_system) > 100 or len(source_id) > 200:
        errors.setdefault("source_id", []).append(_("Identifiant source trop long."))
    if replaces is not None:
        if replaces.patient_id != access.patient.pk or replaces.deleted_at is not None:
            raise Http404
        if not access.may_replace_document(replaces):
            errors.setdefault("replaces", []).append(str(REPLACE_REFUSED))
    if errors:
        raise ValidationError(errors)

    sha256 = hashlib.sha256(content).hexdigest()
    existing = _existing_deposit(access, sha256, source_system, source_id)
    if existing is not None:
        return Deposit(existing, created=False)
    upload_id = uuid.uuid4()
    owner = f"upload:{upload_id}"
    key = vault.new_data_key(owner=owner)
    blob = blob_put(data_key=key.key, plaintext=content, aad=f"{owner}:original")
    try:
        with transaction.atomic():
            upload = Upload.objects.create(
                id=upload_id,
                patient=access.patient,
                depositor=access.actor,
                depositor_kind=_author_kind(access),
                doc_type=doc_type,
                title=title,
                act_date=act_date,
                author_label=author_label.strip(),
                source_system=source_system.strip(),
                source_id=source_id.strip(),
                replaces=replaces,
                filename=safe_filename(filename),
                declared_mime=(declared_mime or "")[:100],
                size=len(content),
                sha256=sha256,
                blob=blob,
                wrapped_key=key.wrapped,
                key_id=key.key_id,
            )
            access.log(action=AccessAction.WRITE, what="document")
            transaction.on_commit(lambda: _enqueue(upload_id))
    except IntegrityError:
        # Another request stored the same deposit meanwhile: answer that one.
        blob_delete(blob)
        existing = _existing_deposit(access, sha256, source_system, source_id)
        if existing is None:
            raise
        return Deposit(existing, created=False)
    return Deposit(upload, created=True)


def _max_size_message() -> str:
    mb = settings.MESSPACE_DOCUMENT_MAX_BYTES // (1024 * 1024)
    return _("Le fichier dépasse la taille maximale de %(mb)d Mo.") % {"mb": mb}


def _existing_deposit(
    access: RecordAccess, sha256: str, source_system: str, source_id: str
) -> Upload | None:
    """The deposit these bytes already are, as far as this depositor may know: their
    own live upload (same identifier, or same bytes), or the upload of a document of
    the record they may see. Another's upload they may not see is never answered."""
    live = Upload.objects.exclude(state=UploadState.DELETED).filter(patient=access.patient)
    if source_id.strip():
        same_source = live.filter(
            depositor=access.actor,
            source_system=source_system.strip(),
            source_id=source_id.strip(),
        ).first()
        if same_source is not None:
            if same_source.sha256 != sha256:
                raise ValidationError(
                    {
                        "source_id": [
                            _(
                                "Cet identifiant source a déjà été déposé avec un autre contenu : publiez une nouvelle version du document."
                            )
                        ]
                    }
                )
            return same_source
    own = live.filter(depositor=access.actor, sha256=sha256).first()
    if own is not None:
        return own
    # Filtered in SQL by the policy: hidden, outside the matrix, kept from the
    # guardians... such a document is not found, and the deposit goes ahead.
    seen = (
        access.documents()
        .filter(upload__sha256=sha256)
        .exclude(upload__state=UploadState.DELETED)
        .select_related("upload")
        .order_by("pk")
        .first()
    )
    return seen.upload if seen is not None else None


def _enqueue(upload_id: uuid.UUID) -> None:
    from documents.tasks import upload_process as task

    task.delay(str(upload_id))


# --- The pipeline ---


def upload_process(*, upload_id: uuid.UUID | str) -> str:
    """Run ingestion on one upload; returns its state afterwards. Safe to run twice.

    The upload is claimed with a conditional UPDATE (``received``, or
    ``processing`` with a claim older than ``MESSPACE_INGEST_CLAIM_SECONDS``,
    the trace of a worker that died); anyone else finds nothing to claim.
    Transient failures put the claim back and raise, for the task to retry.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.MESSPACE_INGEST_CLAIM_SECONDS)
    # A file that killed its worker several times (memory, a crash in a parser)
    # is not claimed again: it waits in quarantine instead of looping forever.
    Upload.objects.filter(
        pk=upload_id, state=UploadState.PROCESSING, claimed_at__lt=stale, attempts__gte=MAX_ATTEMPTS
    ).update(
        state=UploadState.QUARANTINED,
        reason_code="internal",
        reason=_(
            "Le traitement de ce fichier a échoué à plusieurs reprises ; l’équipe technique est prévenue."
        ),
        processed_at=now,
    )
    with transaction.atomic():
        _relaxed_commit()
        claimed = (
            Upload.objects.filter(pk=upload_id)
            .filter(
                Q(state=UploadState.RECEIVED)
                | Q(state=UploadState.PROCESSING, claimed_at__lt=stale)
            )
            .update(state=UploadState.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
        )
    if not claimed:
        state = Upload.objects.filter(pk=upload_id).values_list("state", flat=True).first()
        return state or "missing"
    upload = Upload.objects.select_related("patient", "depositor__professional", "replaces").get(
        pk=upload_id
    )
    try:
        content = blob_get(
            name=upload.blob,
            data_key=vault.unwrap(
                wrapped=upload.wrapped_key, key_id=upload.key_id, owner=upload.owner
            ),
            aad=f"{upload.owner}:original",
        )
        sniffed, parsed = _examine(upload, content)
    except (Refused, Mismatch) as exc:
        return _quarantine(upload, now, exc.code, exc.message)
    except ScanInfected as exc:
        return _quarantine(
            upload,
            now,
            "malware",
            _("Le fichier contient un logiciel malveillant (%(signature)s).")
            % {"signature": exc.signature},
        )
    except TRANSIENT_ERRORS:
        Upload.objects.filter(pk=upload.pk, state=UploadState.PROCESSING, claimed_at=now).update(
            state=UploadState.RECEIVED, claimed_at=None
        )
        raise
    except Exception:
        # A bug must not lose the deposit: it waits in quarantine for an admin.
        log.exception("ingestion failed on upload %s", upload.pk)
        return _quarantine(
            upload,
            now,
            "internal",
            _("Erreur inattendue pendant le traitement ; l’équipe technique est prévenue."),
        )
    return _accept(upload, now, content, sniffed, parsed)


class Mismatch(Exception):
    """The file is sound but does not belong in this record: quarantine for an admin."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _examine(upload: Upload, content: bytes) -> tuple[Sniffed, Parsed]:
    """The ordered checks; each may refuse the file with a reason."""
    bounds = limits()
    sniffed = sniff(content, declared_mime=upload.declared_mime or None)
    from documents.ingestion.limits import check_limits

    check_limits(content, sniffed, bounds)
    scan_bytes(content)
    # A PDF is viewed as itself; its thumbnail is made on first view, not here.
    parsed = parse(content, sniffed, bounds, pdf_preview=False)
    if (
        parsed.patient_ins
        and parsed.patient_ins != upload.patient.nir
        and upload.released_at is None
    ):
        raise Mismatch(
            "identity_mismatch",
            _(
                "Le document concerne un autre patient que le dossier (INS différent) : il a été mis en quarantaine pour vérification."
            ),
        )
    return sniffed, parsed


def _quarantine(upload: Upload, claimed_at: dt.datetime, code: str, reason: str) -> str:
    Upload.objects.filter(pk=upload.pk, state=UploadState.PROCESSING, claimed_at=claimed_at).update(
        state=UploadState.QUARANTINED,
        reason_code=code[:32],
        reason=reason[:500],
        processed_at=timezone.now(),
    )
    return UploadState.QUARANTINED


def _accept(
    upload: Upload, claimed_at: dt.datetime, content: bytes, sniffed: Sniffed, parsed: Parsed
) -> str:
    doc = Document(
        public_id=uuid.uuid4(),
        patient=upload.patient,
        upload=upload,
        doc_type=upload.doc_type,
        loinc=upload.doc_type if DocumentType(upload.doc_type).code_system == LOINC_OID else "",
        title=upload.title,
        act_date=upload.act_date,
        author=upload.depositor,
        author_kind=upload.depositor_kind,
        author_label=upload.author_label or _depositor_label(upload.depositor),
        source_system=upload.source_system,
        source_id=upload.source_id,
        kind=sniffed.kind,
        mime=sniffed.mime,
        size=upload.size,
        page_count=parsed.page_count,
        filename=upload.filename,
        notes="; ".join(parsed.notes)[:500],
    )
    key = vault.new_data_key(owner=doc.owner)
    doc.wrapped_key, doc.key_id = key.wrapped, key.key_id
    if parsed.text:
        doc.text_blob = blob_put(
            data_key=key.key, plaintext=parsed.text.encode(), aad=f"{doc.owner}:text"
        )
    if parsed.preview_png:
        doc.preview_blob = blob_put(
            data_key=key.key, plaintext=parsed.preview_png, aad=f"{doc.owner}:preview"
        )
    doc.search_terms = search.index_terms(doc.title, parsed.text)
    try:
        with transaction.atomic():
            _relaxed_commit()
            # The record must still be open, and stay so until this commits (closing
            # it waits for this lock): a document never lands in a closed record.
            if not (
                Record.objects.select_for_update()
                .filter(patient_id=upload.patient_id, state=RecordState.ACTIVE)
                .exists()
            ):
                raise _RecordClosed
            if upload.replaces_id is not None:
                previous = (
                    Document.objects.select_for_update()
                    .filter(series=upload.replaces.series)  # type: ignore[union-attr]
                    .order_by("-version")
                )
                latest = previous.first()
                assert latest is not None  # noqa: S101 - the replaced document exists
                doc.series = latest.series
                doc.version = latest.version + 1
                # The patient's choices about the document carry over to its new version.
                doc.hidden_from_professionals = latest.hidden_from_professionals
                doc.confidential_from_guardians = latest.confidential_from_guardians
                older = list(previous.filter(is_current=True).values_list("pk", flat=True))
                previous.filter(pk__in=older).update(is_current=False)
                # Older versions stay readable from the document page, not on the timeline.
                TimelineEvent.objects.filter(kind="document", source_id__in=older).update(
                    deleted=True
                )
            else:
                doc.series = doc.public_id
            doc.save()
            TimelineEvent.objects.create(**_event_fields(doc))
            done = Upload.objects.filter(
                pk=upload.pk, state=UploadState.PROCESSING, claimed_at=claimed_at
            ).update(state=UploadState.DONE, processed_at=timezone.now(), reason="", reason_code="")
            if not done:
                # Our claim was taken over (we were presumed dead): let the other finish.
                raise _ClaimLost
            if upload.depositor_kind != AuthorKind.PATIENT:
                _notify_later(doc.pk)
    except _RecordClosed:
        blob_delete(doc.text_blob)
        blob_delete(doc.preview_blob)
        return _quarantine(
            upload,
            claimed_at,
            "record_closed",
            _("Le dossier n’est plus accessible : le document n’y a pas été ajouté."),
        )
    except (_ClaimLost, IntegrityError):
        blob_delete(doc.text_blob)
        blob_delete(doc.preview_blob)
        return Upload.objects.filter(pk=upload.pk).values_list("state", flat=True).first() or ""
    return UploadState.DONE


class _ClaimLost(Exception):
    pass


class _RecordClosed(Exception):
    pass


def _relaxed_commit() -> None:
    """Let this transaction's commit return before its WAL is flushed (PostgreSQL).

    Safe for ingestion and worth two disk flushes per document: a crash can only
    lose the last few commits, which leaves those uploads "received" or with a
    stale claim, and ``uploads_resume`` processes them again. Nothing is ever
    half-written: the transaction is atomic either way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _depositor_label(user: User) -> str:
    if user.is_professional:
        return f"{user.professional.display_name} ({user.professional.title})"
    return user.get_full_name() or user.email


def _notify_later(document_id: int) -> None:
    from documents.tasks import document_notify

    transaction.on_commit(lambda: document_notify.delay(document_id))


def _event_fields(document: Document) -> dict[str, Any]:
    return {"kind": "document", "source_id": document.pk, **_event_defaults(document)}


def document_event_sync(*, document: Document) -> TimelineEvent:
    """Create or refresh the timeline row of a document (safe twice)."""
    event, _created = TimelineEvent.objects.update_or_create(
        kind="document", source_id=document.pk, defaults=_event_defaults(document)
    )
    return event


def _event_defaults(document: Document) -> dict[str, Any]:
    return {
        "patient_id": document.patient_id,
        "occurred_at": timezone.make_aware(dt.datetime.combine(document.act_date, dt.time(12, 0))),
        "date_is_entry_date": False,
        "title": document.title[:255],
        "summary": str(DocumentType(document.doc_type).label)[:255],
        "author_id": document.author_id,
        "author_kind": document.author_kind,
        "author_label": document.author_label[:200],
        "deleted": document.deleted_at is not None or not document.is_current,
        "visibility_kind": document.visibility_kind,
        "hidden_from_professionals": document.hidden_from_professionals,
        "confidential_from_guardians": document.confidential_from_guardians,
    }


# --- Reading contents ---


def document_original(*, access: RecordAccess, document: Document, log: bool = True) -> bytes:
    """The original bytes, decrypted, for a reader the policy let through; logged
    unless the caller already logged this reading."""
    upload = document.upload
    key = vault.unwrap(wrapped=upload.wrapped_key, key_id=upload.key_id, owner=upload.owner)
    if log:
        access.log(action=AccessAction.READ, what="document", object_id=document.pk)
    return blob_get(name=upload.blob, data_key=key, aad=f"{upload.owner}:original")


def document_preview(*, access: RecordAccess, document: Document) -> bytes | None:
    """The first-page or image preview; a PDF's is rendered on first view and kept
    (encrypted) for the next ones."""
    key = vault.unwrap(wrapped=document.wrapped_key, key_id=document.key_id, owner=document.owner)
    if document.preview_blob:
        return blob_get(name=document.preview_blob, data_key=key, aad=f"{document.owner}:preview")
    if document.kind != "pdf":
        return None
    png = pdf_preview(document_original(access=access, document=document, log=False))
    if png is None:
        return None
    name = blob_put(data_key=key, plaintext=png, aad=f"{document.owner}:preview")
    stored = Document.objects.filter(pk=document.pk, preview_blob="").update(preview_blob=name)
    if not stored:  # another request stored one first
        blob_delete(name)
    return png


# --- Patient's choices and admin actions ---


def document_visibility_set(*, access: RecordAccess, document: Document, hidden: bool) -> None:
    """The patient (or a guardian) hides a document from professionals, or shows it again."""
    if not access.acts_as_patient:
        raise PermissionDenied
    if document.patient_id != access.patient.pk:
        raise Http404
    with transaction.atomic():
        Document.objects.filter(series=document.series).update(hidden_from_professionals=hidden)
        document.hidden_from_professionals = hidden
        document_event_sync(document=document)
        access.log(action=AccessAction.WRITE, what="document", object_id=document.pk)


def document_guardian_confidentiality_set(
    *, access: RecordAccess, document: Document, confidential: bool
) -> None:
    """Keep a minor's document (every version) from their guardians and carers, or stop.

    The same rule as for entries: a professional with access, or the minor aged
    15 or more in their own record; guardians never.
    """
    if document.patient_id != access.patient.pk:
        raise Http404
    if not access.patient.is_minor:
        raise ValidationError(
            _("Ce dossier est celui d’une personne majeure : il n’a plus de représentant légal.")
        )
    if not access.may_keep_from_guardians:
        raise PermissionDenied
    with transaction.atomic():
        Document.objects.filter(series=document.series).update(
            confidential_from_guardians=confidential
        )
        TimelineEvent.objects.filter(
            kind="document",
            source_id__in=Document.objects.filter(series=document.series).values("pk"),
        ).update(confidential_from_guardians=confidential)
        document.confidential_from_guardians = confidential
        access.log(action=AccessAction.WRITE, what="document", object_id=document.pk)


def document_delete(*, access: RecordAccess, document: Document) -> None:
    """The patient deletes a document they deposited: the record forgets it and its
    encrypted contents are erased. Who may is ``RecordAccess.may_delete_document``:
    documents from professionals are not theirs to delete (``PermissionDenied``)."""
    if document.patient_id != access.patient.pk:
        raise Http404
    if not access.may_delete_document(document):
        raise PermissionDenied(DELETE_REFUSED if access.acts_as_patient else "")
    now = timezone.now()
    with transaction.atomic():
        Document.objects.filter(pk=document.pk, deleted_at__isnull=True).update(
            deleted_at=now, deleted_by=access.actor, search_terms=[]
        )
        Upload.objects.filter(pk=document.upload_id).update(state=UploadState.DELETED)
        document.deleted_at = now
        document_event_sync(document=document)
        access.log(action=AccessAction.DELETE, what="document", object_id=document.pk)
        blobs = [document.upload.blob, document.text_blob, document.preview_blob]

        def erase() -> None:
            for name in blobs:
                blob_delete(name)

        transaction.on_commit(erase)


def upload_release(*, upload: Upload, by: User) -> None:
    """An admin releases a quarantined upload after checking it: it is processed again,
    without the identity check (the file type, size and malware checks still apply)."""
    if upload.reason_code == "malware":
        raise ValidationError(_("Un fichier infecté ne peut pas être libéré."))
    with transaction.atomic():
        released = Upload.objects.filter(pk=upload.pk, state=UploadState.QUARANTINED).update(
            state=UploadState.RECEIVED, released_by=by, released_at=timezone.now(), claimed_at=None
        )
        if released:
            transaction.on_commit(lambda: _enqueue(upload.pk))


def upload_review_open(*, upload: Upload, by: User, reason: str) -> Upload:
    """An admin opens a quarantined upload's contents to decide on it, stating why.

    The reason (``REVIEW_REASON_MIN_LENGTH`` characters at least) is kept with
    who and when, one ``QuarantineReview`` per opening (the last one also on
    the upload, for the decision), and the opening is written to the patient's
    access history (basis ``quarantine``, role ``admin``, what ``upload``,
    pointing at the review row; never the reason, free text that the
    append-only log would outlive the record with). Raises ``ValidationError``
    (French, field ``reason``) for a missing, short or marked-up reason or a
    record that is no longer open, ``PermissionDenied`` for a non-staff user,
    and ``Http404`` unless the upload is in quarantine; nothing is written then. Returns the
    upload with its patient and depositor, for the review page.
    """
    if not (by.is_active and by.is_staff):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if len(reason) < REVIEW_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": [
                    _("Indiquez le motif de ce contrôle (%(n)d caractères au moins).")
                    % {"n": REVIEW_REASON_MIN_LENGTH}
                ]
            }
        )
    if len(reason) > REVIEW_REASON_MAX_LENGTH or MARKUP_RE.search(reason):
        raise ValidationError(
            {
                "reason": [
                    _("Le motif doit faire au plus %(n)d caractères, sans balises HTML.")
                    % {"n": REVIEW_REASON_MAX_LENGTH}
                ]
            }
        )
    if not Record.objects.filter(patient_id=upload.patient_id, state=RecordState.ACTIVE).exists():
        # A closed record is invisible to everyone, its quarantine included.
        raise ValidationError(
            {
                "reason": [
                    _(
                        "Le dossier de ce dépôt n’est plus ouvert : son contenu ne peut pas être examiné."
                    )
                ]
            }
        )
    now = timezone.now()
    with transaction.atomic():
        opened = Upload.objects.filter(pk=upload.pk, state=UploadState.QUARANTINED).update(
            reviewed_by=by, reviewed_at=now, review_reason=reason
        )
        if not opened:
            raise Http404
        review = QuarantineReview.objects.create(upload_id=upload.pk, by=by, at=now, reason=reason)
        AccessLog.objects.create(
            patient_id=upload.patient_id,
            actor=by,
            actor_label=by.get_full_name() or by.email,
            role=REVIEW_ROLE,
            basis=AccessBasis.QUARANTINE_REVIEW,
            action=AccessAction.READ,
            what=REVIEW_WHAT,
            object_id=review.pk,
        )
    return Upload.objects.select_related("patient", "depositor__professional").get(pk=upload.pk)


def upload_review_decide(*, upload: Upload, by: User, release: bool) -> None:
    """The reviewer's decision on a quarantined upload: release it (processed again,
    see ``upload_release``) or discard it (``upload_discard``).

    Only by the admin who opened its contents (``upload_review_open``) less than
    ``REVIEW_VALIDITY`` ago: ``PermissionDenied`` otherwise, and nothing changes.
    A release of malware raises ``ValidationError``.
    """
    current = Upload.objects.filter(pk=upload.pk).first()
    if current is None or not current.is_under_review_by(by.pk):
        raise PermissionDenied(
            _("Ouvrez d’abord ce dépôt en indiquant le motif du contrôle, puis décidez.")
        )
    if release:
        upload_release(upload=current, by=by)
    else:
        upload_discard(upload=current)


def upload_discard(*, upload: Upload) -> None:
    """An admin deletes a quarantined upload: its encrypted bytes are erased."""
    with transaction.atomic():
        gone = Upload.objects.filter(pk=upload.pk, state=UploadState.QUARANTINED).update(
            state=UploadState.DELETED
        )
        if gone:
            blob = upload.blob
            transaction.on_commit(lambda: blob_delete(blob))


def uploads_resume(*, older_than: dt.timedelta | None = None) -> int:
    """Requeue uploads a lost message or a dead worker left behind; returns how many."""
    now = timezone.now()
    waited = older_than or dt.timedelta(minutes=5)
    stale = now - dt.timedelta(seconds=settings.MESSPACE_INGEST_CLAIM_SECONDS)
    pending = list(
        Upload.objects.filter(
            Q(state=UploadState.RECEIVED, created_at__lt=now - waited)
            | Q(state=UploadState.PROCESSING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)[:1000]
    )
    for upload_id in pending:
        _enqueue(upload_id)
    return len(pending)
