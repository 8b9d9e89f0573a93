"""The technical admin of deposits and documents (superusers): metadata only.

The lists and change pages show nothing of the care: ids, states, sizes, file
types (kind and MIME, never the clinical document type), dates. No title,
file name, author, patient or text, and no search but by id. The quarantine's
review (a stated reason, logged, then release or discard) is in the console:
:mod:`documents.views.console`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents.models import Document, Upload, UploadState


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = (
        "id",
        "created_at",
        "state",
        "reason_code",
        "declared_mime",
        "size",
        "attempts",
        "processed_at",
        "review_link",
    )
    list_filter = ("state", "reason_code")
    search_fields = ("id__exact",)
    fields = (
        "id",
        "state",
        "reason_code",
        "declared_mime",
        "size",
        "attempts",
        "created_at",
        "claimed_at",
        "processed_at",
        "released_at",
        "reviewed_at",
        "review_link",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("contrôle"))
    def review_link(self, obj: Upload) -> str:
        if obj.state != UploadState.QUARANTINED:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("console-documents:review", args=[obj.pk]),
            _("Examiner dans la console"),
        )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    list_display = ("id", "created_at", "kind", "mime", "size", "version", "is_current")
    list_filter = ("kind", "is_current")
    search_fields = ("id__exact",)
    fields = (
        "id",
        "kind",
        "mime",
        "size",
        "page_count",
        "version",
        "is_current",
        "created_at",
        "notified_at",
        "deleted_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
