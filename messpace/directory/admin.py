"""The technical admin of the directory (superusers): its imports and structures,
read-only. Admins import the extract and manage structures and members in the
console (:mod:`messpace.directory.views.console`). Public data only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from messpace.directory.models import DirectoryImport, Structure


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DirectoryImport)
class DirectoryImportAdmin(_ReadOnly):
    list_display = (
        "created_at",
        "filename",
        "state",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "error_count",
        "console",
    )
    list_filter = ("state",)
    fields = (
        "filename",
        "created_at",
        "size",
        "full_extract",
        "state",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
        "started_at",
        "finished_at",
        "failure",
        "console",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, obj: DirectoryImport) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("console-directory:import", args=[obj.pk]),
            _("Suivre dans la console"),
        )


@admin.register(Structure)
class StructureAdmin(_ReadOnly):
    list_display = ("name", "kind", "postcode", "city", "finess", "siret", "technical_id")
    list_filter = ("kind",)
    search_fields = ("name", "city", "postcode", "finess", "siret", "technical_id")
    readonly_fields = (
        "technical_id",
        "kind",
        "name",
        "siret",
        "finess",
        "sector_label",
        "address",
        "postcode",
        "city",
        "phone",
        "updated_at",
    )
