"""The admins' console pages of the opt-out activation (``/console/…``, namespace
``console-optout``).

- **Cohorts**: the imports of insured persons, their progress (refreshed
  while they run) and their refused lines; a new import from a CSV file.
- **Campaigns**: every campaign's figures, a new campaign, one campaign's
  dashboard with its criteria, its start (after confirming the number of
  records), its letter batches (PDF and manifest) and the import of its
  returns; the CSV export.

Aggregates and masked NIRs only: no name or address of a person reaches these
pages. The rules are the services'; these views read forms and show refusals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.optout import charts, exports, selectors
from consent.optout.forms import (
    BounceUploadForm,
    CampaignForm,
    CampaignStartForm,
    CohortUploadForm,
)
from consent.optout.models import Campaign, CampaignState, CohortImport, LetterBatch
from consent.optout.services import campaigns as campaign_services
from consent.optout.services import cohorts as cohort_services
from consent.optout.services import drafts
from consent.optout.services import returns as bounce_services
from messpace.console.roles import ConsoleRole, console_page
from messpace.forms import apply_errors
from messpace.uploads import BoundedMemoryUploadHandler, upload_too_large, uploads_through

if TYPE_CHECKING:
    from messpace.accounts.models import User

# The refused lines of an import, this many a page.
ERROR_LINES_PER_PAGE = 100
COHORTS_PER_PAGE = 50


class CohortUploadHandler(BoundedMemoryUploadHandler):
    """In memory (the CSV is personal data), cut off past the cohort file limit."""

    def max_bytes(self) -> int:
        return cohort_services.max_bytes()


class BounceUploadHandler(BoundedMemoryUploadHandler):
    """In memory (the returns name people), cut off past the returns file limit."""

    def max_bytes(self) -> int:
        return bounce_services.MAX_BYTES


# --- Cohorts ---


@console_page(ConsoleRole.ADMIN)
def cohorts(request: HttpRequest) -> HttpResponse:
    imports = CohortImport.objects.select_related("by").order_by("-created_at", "-pk")
    page = Paginator(imports, COHORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "optout/console/cohorts.html", {"page": page})


@console_page(ConsoleRole.ADMIN)
@uploads_through(lambda request: [CohortUploadHandler(request)])
def cohort_new(request: HttpRequest) -> HttpResponse:
    form = CohortUploadForm()
    if request.method == "POST":
        if upload_too_large(request):
            form = CohortUploadForm(request.POST)
            form.is_valid()
            form.errors.clear()
            form.add_error("file", cohort_services.too_large_message())
        else:
            form = CohortUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    cohort_import = cohort_services.cohort_import_start(
                        by=request.user,  # type: ignore[arg-type]
                        filename=upload.name or "",
                        content=upload.read(),
                    )
                except ValidationError as exc:
                    form.add_error("file", exc.messages)
                else:
                    messages.success(
                        request,
                        _(
                            "Fichier reçu : %(rows)d lignes à importer. L’import se poursuit "
                            "en arrière-plan."
                        )
                        % {"rows": cohort_import.total_rows},
                    )
                    return redirect("console-optout:cohort", pk=cohort_import.pk)
    return render(
        request,
        "optout/console/cohort_new.html",
        {
            "form": form,
            "required_columns": cohort_services.REQUIRED_COLUMNS,
            "optional_columns": cohort_services.OPTIONAL_COLUMNS,
            "max_megabytes": cohort_services.max_bytes() // (1024 * 1024),
            "console_section": "console-optout:cohorts",
        },
    )


@console_page(ConsoleRole.ADMIN)
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    cohort_import = CohortImport.objects.select_related("by").filter(pk=pk).first()
    if cohort_import is None:
        raise Http404
    context = {
        "cohort_import": cohort_import,
        "progress": selectors.cohort_import_progress(import_id=pk),
        "console_section": "console-optout:cohorts",
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        # The polled fragment: the counters only.
        return render(request, "optout/console/_cohort_progress.html", context)
    # The refused lines name the person by their masked NIR only.
    refused = selectors.cohort_import_errors(import_id=pk).annotate(identifier=F("nir_masked"))
    errors = Paginator(refused, ERROR_LINES_PER_PAGE)
    context["errors"] = errors.get_page(request.GET.get("page"))
    return render(request, "optout/console/cohort.html", context)


@console_page(ConsoleRole.ADMIN)
@require_POST
def cohort_resume(request: HttpRequest, pk: int) -> HttpResponse:
    if not CohortImport.objects.filter(pk=pk).exists():
        raise Http404
    if cohort_services.cohort_import_resume(import_id=pk):
        messages.success(request, _("L’import reprend là où il s’était arrêté."))
    else:
        messages.info(request, _("Cet import est terminé : il n’y a rien à reprendre."))
    return redirect("console-optout:cohort", pk=pk)


# --- Campaigns ---


@console_page(ConsoleRole.ADMIN)
def campaigns(request: HttpRequest) -> HttpResponse:
    data = selectors.overall_dashboard()
    return render(
        request,
        "optout/console/campaigns.html",
        {
            "campaign": None,
            "figures": data.total,
            "campaigns": data.campaigns,
            "weeks": data.weeks,
            **charts.dashboard_charts(figures=data.total, weeks=data.weeks, one_campaign=False),
        },
    )


@console_page(ConsoleRole.ADMIN)
def campaign_new(request: HttpRequest) -> HttpResponse:
    # From an import's page, the form comes with that import chosen.
    form = CampaignForm(
        request.POST or None, initial={"cohort_import": request.GET.get("population")}
    )
    if request.method == "POST" and form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            campaign = drafts.campaign_create(by=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Campagne « %(name)s » créée, en préparation. Vérifiez le nombre de "
                    "dossiers visés, puis démarrez-la."
                )
                % {"name": campaign.name},
            )
            return redirect("console-optout:campaign", pk=campaign.pk)
    return render(
        request,
        "optout/console/campaign_new.html",
        {"form": form, "console_section": "console-optout:campaigns"},
    )


def _campaign_context(pk: int) -> dict[str, object]:
    try:
        data = selectors.campaign_dashboard(campaign_id=pk)
    except Campaign.DoesNotExist:
        raise Http404 from None
    campaign = Campaign.objects.select_related("cohort_import").get(pk=pk)
    batches = LetterBatch.objects.filter(campaign_id=pk).order_by("number")
    return {
        "campaign": data.figures,
        "criteria": campaign,
        "is_draft": campaign.state == CampaignState.DRAFT,
        "targets": (
            campaign_services.campaign_targets(campaign).count()
            if campaign.state == CampaignState.DRAFT
            else None
        ),
        "figures": data.figures,
        "weeks": data.weeks,
        "batches": batches.only("pk", "number", "count", "created_at", "purged_at"),
        "console_section": "console-optout:campaigns",
        **charts.dashboard_charts(figures=data.figures, weeks=data.weeks, one_campaign=True),
    }


@console_page(ConsoleRole.ADMIN)
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    context = _campaign_context(pk)
    context["start_form"] = CampaignStartForm()
    return render(request, "optout/console/campaign.html", context)


@console_page(ConsoleRole.ADMIN)
@require_POST
def campaign_start(request: HttpRequest, pk: int) -> HttpResponse:
    form = CampaignStartForm(request.POST)
    if form.is_valid():
        try:
            count = drafts.campaign_launch(campaign_id=pk)
        except Campaign.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Campagne démarrée : %(count)s avis à envoyer, par lots, en arrière-plan.")
                % {"count": count},
            )
            return redirect("console-optout:campaign", pk=pk)
    context = _campaign_context(pk)
    context["start_form"] = form
    return render(request, "optout/console/campaign.html", context, status=400)


@console_page(ConsoleRole.ADMIN)
@uploads_through(lambda request: [BounceUploadHandler(request)])
def campaign_returns(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404
    is_draft = campaign.state == CampaignState.DRAFT
    form = BounceUploadForm()
    report = None
    if request.method == "POST" and not is_draft:
        if upload_too_large(request):
            form = BounceUploadForm(request.POST)
            form.is_valid()
            form.errors.clear()
            form.add_error("file", bounce_services.too_large_message())
        else:
            form = BounceUploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    report = bounce_services.bounces_import(
                        campaign=campaign, content=form.cleaned_data["file"].read()
                    )
                except ValidationError as exc:
                    form.add_error("file", exc.messages)
                else:
                    form = BounceUploadForm()
    return render(
        request,
        "optout/console/campaign_returns.html",
        {
            "campaign": campaign,
            "is_draft": is_draft,
            "form": form,
            "report": report,
            "required_columns": bounce_services.REQUIRED_COLUMNS,
            "key_columns": bounce_services.KEY_COLUMNS,
            "optional_columns": bounce_services.OPTIONAL_COLUMNS,
            "max_size": bounce_services.max_size_text(),
            "max_lines": bounce_services.MAX_LINES,
            "max_email_lines": bounce_services.MAX_EMAIL_LINES,
            "console_section": "console-optout:campaigns",
        },
    )


def campaigns_csv_response() -> HttpResponse:
    """Every campaign's figures as CSV."""
    # The export's words are French whatever the admin's language, like its columns.
    with translation.override("fr"):
        data = selectors.overall_dashboard()
        content = exports.dashboard_csv(campaigns=data.campaigns, total=data.total)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="campagnes-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response


@console_page(ConsoleRole.ADMIN)
def campaigns_csv(request: HttpRequest) -> HttpResponse:
    return campaigns_csv_response()


@console_page(ConsoleRole.ADMIN)
def batch_download(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    batch_file = selectors.letter_batch_file(batch_id=pk, part=part)
    if batch_file is None:
        raise Http404
    response = HttpResponse(batch_file.content, content_type=batch_file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{batch_file.filename}"'
    response["Cache-Control"] = "no-store"
    return response
