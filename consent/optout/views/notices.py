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

The admins' console pages (cohorts, campaigns, returns, letter batches) are in
:mod:`consent.optout.views.console`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consent.optout.forms import CallerNoticeForm, NoticeAnswerForm
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
