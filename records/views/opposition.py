"""The public page of the information notice: oppose before the opening, or open now.

No login: the person types the personal code of their letter or email and the
birth date on the record. Attempts are throttled per address and per code,
and every miss gets the same answer, so codes cannot be probed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from messpace.throttle import throttle_hit
from records import campaign_services
from records.forms_opposition import NoticeAnswerForm


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
        key=campaign_services.code_hash(code),
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
                    campaign_services.notice_oppose(
                        code=data["code"], birth_date=data["birth_date"]
                    )
                else:
                    campaign_services.notice_activate(
                        code=data["code"],
                        birth_date=data["birth_date"],
                        email=data["email"],
                        password=data["password1"],
                    )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                if data["choice"] == NoticeAnswerForm.OPPOSE:
                    return render(request, "records/opposition_done.html", {"opposed": True})
                messages.success(
                    request,
                    _(
                        "Votre dossier est ouvert. Connectez-vous, puis activez la validation en deux étapes dans « Sécurité du compte »."
                    ),
                )
                return redirect("accounts:login")
    return render(request, "records/opposition.html", {"form": form})
