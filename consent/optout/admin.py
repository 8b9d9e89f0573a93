"""Admin of the opt-out activation: cohort imports, campaigns and their dashboard,
the returns of a campaign, and the print house's letter batches.

Only identities' counts, masked NIRs and delivery metadata appear here, never
health content; the dashboard is aggregates only.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from consent.optout import charts, selectors, tasks
from consent.optout.forms import BounceUploadForm, CohortUploadForm
from consent.optout.models import (
    Campaign,
    CampaignState,
    CohortImport,
    CohortImportState,
    LetterBatch,
)
from consent.optout.services import campaigns as campaign_services
from consent.optout.services import cohorts as cohort_services
from consent.optout.services import returns as bounce_services
from consent.optout.views import batch_file_response, campaigns_csv_response
from messpace.uploads import TOO_LARGE_ATTR, BoundedMemoryUploadHandler

# --- Cohort imports --------------------------------------------------------------------------


# The change page lists this many reported lines; the counters give the total.
ERROR_LINES_SHOWN = 1000


class CohortUploadHandler(BoundedMemoryUploadHandler):
    """In memory (the CSV is personal data), cut off past the cohort file limit."""

    def max_bytes(self) -> int:
        return cohort_services.max_bytes()


@admin.register(CohortImport)
class CohortImportAdmin(admin.ModelAdmin[CohortImport]):
    """Upload a CSV of insured persons; follow its import and read the refused lines."""

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
    )
    list_filter = ("state",)
    fields = (
        "filename",
        "by",
        "created_at",
        "encoding",
        "size",
        "state",
        "progress",
        "total_rows",
        "processed_rows",
        "created_count",
        "unchanged_count",
        "duplicate_count",
        "error_count",
        "started_at",
        "finished_at",
        "failure",
        "error_lines",
    )
    readonly_fields = fields
    actions = ("resume_imports",)

    def get_urls(self) -> list[URLPattern]:
        # Declared before the default "add/" so that it replaces it.
        upload = csrf_exempt(self._upload_entry)
        name = f"{self.opts.app_label}_{self.opts.model_name}_add"
        return [path("add/", upload, name=name), *super().get_urls()]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progression"))
    def progress(self, obj: CohortImport) -> str:
        return format_html(
            '<progress max="100" value="{}" aria-label="{}"></progress> {} % ({} / {}) — {}',
            obj.progress_percent,
            _("Progression de l’import"),
            obj.progress_percent,
            obj.processed_rows,
            obj.total_rows,
            _("rechargez la page pour suivre l’avancement.")
            if not obj.is_finished
            else obj.get_state_display(),
        )

    @admin.display(description=_("lignes signalées"))
    def error_lines(self, obj: CohortImport) -> str:
        shown = list(
            selectors.cohort_import_errors(import_id=obj.pk)[:ERROR_LINES_SHOWN].values_list(
                "line", "nir_masked", "message"
            )
        )
        if not shown:
            return str(_("Aucune ligne refusée."))
        rows = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>', shown)
        total = obj.error_count + obj.duplicate_count
        more = (
            format_html(
                "<p>{}</p>",
                _("Seules les %(shown)d premières lignes sur %(total)d sont affichées.")
                % {"shown": len(shown), "total": total},
            )
            if total > len(shown)
            else ""
        )
        return format_html(
            '<table><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody>'
            "</table>{}",
            _("Lignes refusées ou en double"),
            _("Ligne"),
            _("NIR (masqué)"),
            _("Motif"),
            rows,
            more,
        )

    @admin.action(description=_("Reprendre les imports interrompus"))
    def resume_imports(self, request: HttpRequest, queryset: QuerySet[CohortImport]) -> None:
        for cohort_import in queryset.filter(
            state__in=[CohortImportState.QUEUED, CohortImportState.RUNNING]
        ):
            tasks.cohort_import_run.delay(cohort_import.pk)

    def _upload_entry(self, request: HttpRequest) -> HttpResponse:
        # The handlers must be set before anything reads the body, hence this
        # CSRF-exempt entry; the admin wrapper below still checks the CSRF token.
        request.upload_handlers = [CohortUploadHandler(request)]
        view = self.admin_site.admin_view(self.upload_view)
        return view(request)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CohortUploadForm()
        if request.method == "POST":
            form = CohortUploadForm(request.POST, request.FILES)
            if getattr(request, TOO_LARGE_ATTR, False):
                form = CohortUploadForm(request.POST)
                form.is_valid()
                form.errors.clear()
                form.add_error("file", cohort_services.too_large_message())
            elif form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    cohort_import = cohort_services.cohort_import_start(
                        by=request.user,  # type: ignore[arg-type]
                        filename=upload.name or "",
                        content=upload.read(),
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error("file", message)
                else:
                    self.message_user(
                        request,
                        _(
                            "Fichier reçu : %(rows)d lignes à importer. L’import se poursuit "
                            "en arrière-plan."
                        )
                        % {"rows": cohort_import.total_rows},
                        messages.SUCCESS,
                    )
                    return redirect(
                        reverse(
                            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                            args=[cohort_import.pk],
                        )
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Importer une population d’assurés"),
            "form": form,
            "required_columns": cohort_services.REQUIRED_COLUMNS,
            "optional_columns": cohort_services.OPTIONAL_COLUMNS,
            "max_megabytes": cohort_services.max_bytes() // (1024 * 1024),
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/optout/cohortimport/upload.html", context)


# --- Opt-out campaigns ---


class BounceUploadHandler(BoundedMemoryUploadHandler):
    """In memory (the bounce file names people), cut off past the bounce file limit."""

    def max_bytes(self) -> int:
        return bounce_services.MAX_BYTES


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    """Admins create a campaign (filters, delay), then start it with the action; they
    follow it on its dashboard and import the returns of its emails and letters."""

    list_display = (
        "name",
        "state",
        "created_at",
        "started_at",
        "finished_at",
        "notice_count",
        "dashboard_link",
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
    )
    actions = ("start_campaigns",)

    def get_urls(self) -> list[URLPattern]:
        # Declared before the defaults, whose "<path:object_id>/" would take them.
        wrap = self.admin_site.admin_view
        return [
            path(
                "tableau-de-bord/",
                wrap(self.dashboard_view),
                name="optout_campaign_dashboard",
            ),
            path(
                "tableau-de-bord/export.csv",
                wrap(self.dashboard_csv_view),
                name="optout_campaign_dashboard_csv",
            ),
            path(
                "<int:pk>/tableau-de-bord/",
                wrap(self.campaign_dashboard_view),
                name="optout_campaign_dashboard_one",
            ),
            path(
                "<int:pk>/retours/",
                csrf_exempt(self._bounces_entry),
                name="optout_campaign_bounces",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.state != CampaignState.DRAFT:
            return self.fields
        return ("state", "started_at", "finished_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        # The notice count of every row in the same query as the list.
        return super().get_queryset(request).annotate(notices_total=Count("notices"))

    @admin.display(description=_("avis"), ordering="notices_total")
    def notice_count(self, obj: Campaign) -> int:
        return int(getattr(obj, "notices_total", 0))

    @admin.display(description=_("suivi"))
    def dashboard_link(self, obj: Campaign) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:optout_campaign_dashboard_one", args=[obj.pk]),
            _("Tableau de bord"),
        )

    @admin.action(description=_("Démarrer l’envoi des avis"))
    def start_campaigns(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset:
            count = campaign_services.campaign_start(campaign=campaign)
            self.message_user(
                request,
                _("%(name)s : %(count)d avis à envoyer.") % {"name": campaign.name, "count": count},
            )

    # --- Dashboard (aggregates only: no name, NIR or address) ---

    def _dashboard_context(self, request: HttpRequest) -> dict[str, Any]:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "has_view_permission": True,
            "has_change_permission": self.has_change_permission(request),
        }

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        context = self._dashboard_context(request)
        data = selectors.overall_dashboard()
        context.update(
            title=_("Tableau de bord des campagnes"),
            campaign=None,
            figures=data.total,
            campaigns=data.campaigns,
            weeks=data.weeks,
            **charts.dashboard_charts(figures=data.total, weeks=data.weeks, one_campaign=False),
        )
        return TemplateResponse(request, "admin/optout/campaign/dashboard.html", context)

    def campaign_dashboard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        context = self._dashboard_context(request)
        try:
            data = selectors.campaign_dashboard(campaign_id=pk)
        except Campaign.DoesNotExist:
            raise Http404 from None
        context.update(
            title=_("Tableau de bord : %(name)s") % {"name": data.figures.name},
            campaign=data.figures,
            figures=data.figures,
            campaigns=[],
            weeks=data.weeks,
            **charts.dashboard_charts(figures=data.figures, weeks=data.weeks, one_campaign=True),
        )
        return TemplateResponse(request, "admin/optout/campaign/dashboard.html", context)

    def dashboard_csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return campaigns_csv_response()

    # --- Returns: undelivered emails, letters back (NPAI) ---

    def _bounces_entry(self, request: HttpRequest, pk: int) -> HttpResponse:
        # The handlers must be set before anything reads the body, hence this
        # CSRF-exempt entry; the admin wrapper below still checks the CSRF token.
        request.upload_handlers = [BounceUploadHandler(request)]
        view = self.admin_site.admin_view(self.bounces_view)
        return view(request, pk)

    def bounces_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = Campaign.objects.filter(pk=pk).first()
        if campaign is None:
            raise Http404
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        form = BounceUploadForm()
        report = None
        if request.method == "POST" and campaign.state != CampaignState.DRAFT:
            form = BounceUploadForm(request.POST, request.FILES)
            if getattr(request, TOO_LARGE_ATTR, False):
                form = BounceUploadForm(request.POST)
                form.is_valid()
                form.errors.clear()
                form.add_error("file", bounce_services.too_large_message())
            elif form.is_valid():
                try:
                    report = bounce_services.bounces_import(
                        campaign=campaign, content=form.cleaned_data["file"].read()
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error("file", message)
                else:
                    form = BounceUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Importer les retours : %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "is_draft": campaign.state == CampaignState.DRAFT,
            "form": form,
            "report": report,
            "required_columns": bounce_services.REQUIRED_COLUMNS,
            "key_columns": bounce_services.KEY_COLUMNS,
            "optional_columns": bounce_services.OPTIONAL_COLUMNS,
            "max_size": bounce_services.max_size_text(),
            "max_lines": bounce_services.MAX_LINES,
            "max_email_lines": bounce_services.MAX_EMAIL_LINES,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/optout/campaign/bounces.html", context)


@admin.register(LetterBatch)
class LetterBatchAdmin(admin.ModelAdmin[LetterBatch]):
    """The print house's batches: one PDF and one manifest each, decrypted on download."""

    list_display = ("campaign", "number", "count", "created_at", "downloads")
    list_filter = ("campaign",)
    fields = ("campaign", "number", "count", "created_at", "downloads")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.download)
        return [
            # Only the two files: "<pk>/change/" and "<pk>/history/" stay the admin's.
            re_path(
                r"^(?P<pk>\d+)/(?P<part>pdf|manifest)/$",
                view,
                name="optout_letterbatch_download",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("fichiers"))
    def downloads(self, obj: LetterBatch) -> str:
        if obj.purged_at is not None:
            return str(
                _("Supprimés le %(day)s (durée de conservation écoulée)")
                % {"day": date_format(timezone.localtime(obj.purged_at), "SHORT_DATE_FORMAT")}
            )
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">{}</a>',
            reverse("admin:optout_letterbatch_download", args=[obj.pk, "pdf"]),
            reverse("admin:optout_letterbatch_download", args=[obj.pk, "manifest"]),
            _("manifeste CSV"),
        )

    def download(self, request: HttpRequest, pk: int, part: str) -> HttpResponse:
        return batch_file_response(selectors.letter_batch_file(batch_id=pk, part=part))
