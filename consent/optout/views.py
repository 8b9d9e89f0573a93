"""The pages of the opt-out activation outside the admin.

- **The public page of the information notice** (``/opposition/``): oppose
  before the opening, or open now. No login: the person types the personal
  code of their letter or email and the birth date on the record. Attempts
  are throttled per address and per code, and every miss gets the same
  answer, so codes cannot be probed.
- **Support agents** (``/console/assistance/avis/``, once ``/support/avis/``)
  answer a caller's notice, opposition or early opening, after checking the
  caller's identity; every action is in the record's history under the
  agent's name.
- **Admins**, in the console (``/console/campagnes/…``), follow the campaigns:
  every campaign's figures, one campaign's dashboard with its letter batches
  (PDF and manifest), the CSV export. Aggregates only: no name, NIR or
  address reaches these pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consent.optout import charts, exports, selectors
from consent.optout.forms import CallerNoticeForm, NoticeAnswerForm
from consent.optout.models import Campaign, LetterBatch
from consent.optout.services import campaigns, outcomes
from messpace.console.roles import ConsoleRole, console_page
from messpace.forms import apply_errors
from messpace.throttle import throttle_hit

if TYPE_CHECKING:
    from messpace.accounts.models import User


def _throttled(request: HttpRequest, code: str) -> bool:
    ip = request.META.get("REMOTE_ADDR", "")
    per_ip = throttle_hit(
        scope="notice-answer-ip",
        key=ip,
        limit=settings.MESSPACE_NOTICE_ATTEMPTS_PER_HOUR,
        window_seconds=3600,
    )
    per_code = throttle_hit(
        scope="notice-answer-code",
        key=campaigns.code_hash(code),
        limit=5,
        window_seconds=3600,
    )
    return per_ip or per_code


@require_http_methods(["GET", "POST"])
def notice_answer(request: HttpRequest) -> HttpResponse:
    form = NoticeAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _throttled(request, data["code"]):
            form.add_error(None, _("Trop de tentatives : réessayez dans une heure."))
        else:
            try:
                if data["choice"] == NoticeAnswerForm.OPPOSE:
                    outcomes.notice_oppose(code=data["code"], birth_date=data["birth_date"])
                else:
                    outcomes.notice_activate(
                        code=data["code"],
                        birth_date=data["birth_date"],
                        email=data["email"],
                        password=data["password1"],
                    )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if data["choice"] == NoticeAnswerForm.OPPOSE:
                    return render(request, "optout/opposition_done.html", {"opposed": True})
                messages.success(
                    request,
                    _(
                        "Votre dossier est ouvert. Connectez-vous, puis activez la validation en deux étapes dans « Sécurité du compte »."
                    ),
                )
                return redirect("accounts:login")
    return render(request, "optout/opposition.html", {"form": form})


@console_page(ConsoleRole.SUPPORT)
def caller_notice(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CallerNoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if throttle_hit(
            scope="support-notice",
            key=str(user.pk),
            limit=settings.MESSPACE_IDENTITY_LOOKUPS_PER_HOUR,
            window_seconds=3600,
        ):
            form.add_error(
                None, _("Trop de recherches en peu de temps : réessayez dans une heure.")
            )
        else:
            data = form.cleaned_data
            action = (
                outcomes.caller_oppose
                if data["choice"] == CallerNoticeForm.OPPOSE
                else outcomes.caller_activate
            )
            try:
                action(agent=user, nir=data["nir"], birth_date=data["birth_date"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Opposition enregistrée.")
                    if data["choice"] == CallerNoticeForm.OPPOSE
                    else _("Dossier ouvert par anticipation."),
                )
                return redirect("support_caller_notice")
    return render(request, "optout/support_notice.html", {"form": form})


# --- The console: campaigns (admins) ---


@console_page(ConsoleRole.ADMIN)
def console_campaigns(request: HttpRequest) -> HttpResponse:
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
def console_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        data = selectors.campaign_dashboard(campaign_id=pk)
    except Campaign.DoesNotExist:
        raise Http404 from None
    batches = LetterBatch.objects.filter(campaign_id=pk).order_by("number")
    return render(
        request,
        "optout/console/campaign.html",
        {
            "campaign": data.figures,
            "figures": data.figures,
            "weeks": data.weeks,
            "batches": batches.only("pk", "number", "count", "created_at", "purged_at"),
            "console_section": "console-optout:campaigns",
            **charts.dashboard_charts(figures=data.figures, weeks=data.weeks, one_campaign=True),
        },
    )


def campaigns_csv_response() -> HttpResponse:
    """Every campaign's figures as CSV, for the console and the admin."""
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
def console_campaigns_csv(request: HttpRequest) -> HttpResponse:
    return campaigns_csv_response()


def batch_file_response(batch_file: selectors.BatchFile | None) -> HttpResponse:
    """A letter batch's file as an attachment, never cached; 404 without one."""
    if batch_file is None:
        raise Http404
    response = HttpResponse(batch_file.content, content_type=batch_file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{batch_file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@console_page(ConsoleRole.ADMIN)
def console_batch_download(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    return batch_file_response(selectors.letter_batch_file(batch_id=pk, part=part))
