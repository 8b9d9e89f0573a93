"""Admin of deposits: the quarantine, where admins release or delete refused uploads.

Contents are never shown here (they are encrypted and the admin is not a
reader of health data): only metadata, the state and the reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from documents import services
from documents.models import Document, Upload, UploadState


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = (
        "created_at",
        "title",
        "doc_type",
        "patient",
        "depositor",
        "state",
        "reason_code",
        "attempts",
    )
    list_filter = ("state", "reason_code", "doc_type")
    search_fields = ("title", "filename", "patient__nir", "depositor__email", "source_id")
    fields = (
        "id",
        "patient",
        "depositor",
        "depositor_kind",
        "doc_type",
        "title",
        "act_date",
        "author_label",
        "source_system",
        "source_id",
        "filename",
        "declared_mime",
        "size",
        "sha256",
        "state",
        "reason_code",
        "reason",
        "attempts",
        "claimed_at",
        "processed_at",
        "released_by",
        "released_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ("release", "discard")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Libérer de la quarantaine (traiter à nouveau)"))
    def release(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        done = 0
        for upload in queryset.filter(state=UploadState.QUARANTINED):
            try:
                services.upload_release(upload=upload, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                self.message_user(
                    request, f"{upload.title} : {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(n)d dépôt libéré.", "%(n)d dépôts libérés.", done) % {"n": done},
        )

    @admin.action(description=_("Supprimer les dépôts en quarantaine"))
    def discard(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        count = 0
        for upload in queryset.filter(state=UploadState.QUARANTINED):
            services.upload_discard(upload=upload)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d dépôt supprimé.", "%(n)d dépôts supprimés.", count) % {"n": count},
        )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    list_display = ("created_at", "title", "doc_type", "kind", "patient", "version", "is_current")
    list_filter = ("doc_type", "kind", "is_current")
    search_fields = ("title", "patient__nir", "source_id")
    exclude = ("wrapped_key", "search_terms", "text_blob", "preview_blob")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
