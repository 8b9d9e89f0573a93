"""The technical admin of the opt-out activation (superusers only): cohort
imports, campaigns and letter batches, read-only.

Operators work in the console (:mod:`consent.optout.views.console`): importing
a population, creating and starting a campaign, following it, downloading its
letters and importing its returns. Each row here links to its console page.
Only counts, masked NIRs and delivery metadata appear, never health content.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from consent.optout.models import Campaign, CohortImport, LetterBatch


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows to look at: they change through the console's services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _console_link(url: str, label: Any) -> str:
    return format_html('<a href="{}">{}</a>', url, label)


@admin.register(CohortImport)
class CohortImportAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "filename",
        "by",
        "state",
        "total_rows",
        "processed_rows",
        "created_count",
        "unchanged_count",
        "duplicate_count",
        "error_count",
        "console",
    )
    list_filter = ("state",)
    fields = (
        "filename",
        "by",
        "created_at",
        "encoding",
        "size",
        "state",
        "total_rows",
        "processed_rows",
        "created_count",
        "unchanged_count",
        "duplicate_count",
        "error_count",
        "started_at",
        "finished_at",
        "failure",
        "console",
    )
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, obj: CohortImport) -> str:
        return _console_link(
            reverse("console-optout:cohort", args=[obj.pk]), _("Suivre dans la console")
        )


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "state",
        "created_at",
        "started_at",
        "finished_at",
        "notice_count",
        "console",
    )
    list_filter = ("state",)
    fields = (
        "name",
        "cohort_import",
        "postcode_prefixes",
        "birth_year_from",
        "birth_year_to",
        "delay_days",
        "state",
        "started_at",
        "finished_at",
        "console",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        # The notice count of every row in the same query as the list.
        return super().get_queryset(request).annotate(notices_total=Count("notices"))

    @admin.display(description=_("avis"), ordering="notices_total")
    def notice_count(self, obj: Campaign) -> int:
        return int(getattr(obj, "notices_total", 0))

    @admin.display(description=_("console"))
    def console(self, obj: Campaign) -> str:
        return _console_link(
            reverse("console-optout:campaign", args=[obj.pk]), _("Tableau de bord (console)")
        )


@admin.register(LetterBatch)
class LetterBatchAdmin(ReadOnlyAdmin):
    """The print house's batches; their files are downloaded from the console."""

    list_display = ("campaign", "number", "count", "created_at", "purged_at", "console")
    list_filter = ("campaign",)
    fields = ("campaign", "number", "count", "created_at", "purged_at", "console")
    readonly_fields = fields

    @admin.display(description=_("console"))
    def console(self, obj: LetterBatch) -> str:
        return _console_link(
            reverse("console-optout:campaign", args=[obj.campaign_id]),
            _("Fichiers du lot (console)"),
        )
