"""REST API for clinical software: deposit a document, follow its ingestion.

Authenticated by a per-professional token (``Authorization: Token …``) or the
session. The patient is named by INS and birth date; without a basis of
access, or with one that may not deposit (``RecordAccess.may_deposit``, the
rule of the pages too), the answer is the same 404 as for an unknown patient.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from consent.policy import RecordAccess, professional_record_access
from documents import services
from documents.ingestion.types import DocumentType
from documents.models import Upload
from messpace.accounts.validators import normalize_nir, validate_nir
from messpace.uploads import TOO_LARGE_ATTR
from records.selectors import patient_by_identity


class IsProfessional(BasePermission):
    message = gettext_lazy("Réservé aux professionnels de santé.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_professional)


class DepositSerializer(serializers.Serializer[dict[str, Any]]):
    ins = serializers.CharField(max_length=32)
    birth_date = serializers.DateField()
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    title = serializers.CharField(max_length=200)
    act_date = serializers.DateField()
    author_label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_system = serializers.CharField(max_length=100, required=False, allow_blank=True)
    source_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    replaces = serializers.IntegerField(required=False, min_value=1)
    file = serializers.FileField(allow_empty_file=False)

    def validate_ins(self, value: str) -> str:
        try:
            validate_nir(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return normalize_nir(value)


def _upload_payload(request: Request, upload: Upload) -> dict[str, Any]:
    document = getattr(upload, "document", None) if upload.state == "done" else None
    return {
        "upload": str(upload.pk),
        "state": upload.state,
        "reason": upload.reason,
        "document": document.pk if document is not None else None,
        "status_url": reverse("api:upload_status", args=[upload.pk], request=request),
    }


class DocumentDepositView(APIView):
    """POST multipart: ins, birth_date, doc_type, title, act_date, file[, author_label,
    source_system, source_id, replaces]. 202 when stored and queued, 200 when it was
    already deposited, 400 with per-field reasons, 404 for a record out of reach."""

    permission_classes = [IsAuthenticated, IsProfessional]
    parser_classes = [MultiPartParser]

    def post(self, request: Request) -> Response:
        if getattr(request._request, TOO_LARGE_ATTR, False):
            mb = settings.MESSPACE_DOCUMENT_MAX_BYTES // (1024 * 1024)
            raise DrfValidationError(
                {"file": [_("Le fichier dépasse la taille maximale de %(mb)d Mo.") % {"mb": mb}]}
            )
        serializer = DepositSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        access = self._access(request, data["ins"], data["birth_date"])
        replaces = None
        if data.get("replaces"):
            try:
                replaces = access.document_or_404(data["replaces"])
            except Http404 as exc:
                raise NotFound(_("Document introuvable.")) from exc
        upload = data["file"]
        try:
            deposit = services.document_deposit(
                access=access,
                content=upload.read(),
                filename=upload.name or "",
                declared_mime=upload.content_type or "",
                doc_type=data["doc_type"],
                title=data["title"],
                act_date=data["act_date"],
                author_label=data.get("author_label", ""),
                source_system=data.get("source_system", ""),
                source_id=data.get("source_id", ""),
                replaces=replaces,
            )
        except ValidationError as exc:
            raise DrfValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        except PermissionDenied as exc:
            raise DrfPermissionDenied() from exc
        if not deposit.created and deposit.upload.depositor_id != request.user.pk:
            # Someone else deposited these bytes: say so, without their upload's
            # details (its document may be hidden from this professional).
            return Response(
                {
                    "state": "already_deposited",
                    "detail": _("Ce document figure déjà dans le dossier."),
                },
                status=status.HTTP_200_OK,
            )
        return Response(
            _upload_payload(request, deposit.upload),
            status=status.HTTP_202_ACCEPTED if deposit.created else status.HTTP_200_OK,
        )

    def _access(self, request: Request, nir: str, birth_date: Any) -> RecordAccess:
        patient = patient_by_identity(nir=nir, birth_date=birth_date, active_only=False)
        try:
            if patient is None:
                raise Http404
            access = professional_record_access(request.user, patient.pk)  # type: ignore[arg-type]
            if not access.may_deposit():
                raise Http404
        except Http404 as exc:
            # One answer for unknown, unreachable, blocked or no deposit allowed:
            # nothing to enumerate.
            raise NotFound(_("Aucun dossier ne correspond à ces informations.")) from exc
        return access


class UploadStatusView(APIView):
    """GET: where a deposit stands, for its depositor while they still may deposit
    into that record (a share revoked or a block since: 404, as for anyone else)."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request, upload_id: uuid.UUID) -> Response:
        missing = NotFound(_("Dépôt introuvable."))
        upload = (
            Upload.objects.select_related("document")
            .filter(pk=upload_id, depositor_id=request.user.pk)
            .exclude(state="deleted")
            .first()
        )
        if upload is None:
            raise missing
        try:
            access = professional_record_access(request.user, upload.patient_id)  # type: ignore[arg-type]
        except Http404 as exc:
            raise missing from exc
        if not access.may_deposit():
            raise missing
        return Response(_upload_payload(request, upload))
