"""Support agents answer a caller's information notice: opposition or early opening,
after checking the caller's identity; every action is in the record's history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messpace.throttle import throttle_hit
from records import campaign_services
from records.forms_pro import PatientIdentityForm

if TYPE_CHECKING:
    from messpace.accounts.models import User


class CallerNoticeForm(PatientIdentityForm):
    OPPOSE = "oppose"
    ACTIVATE = "activate"

    choice = forms.ChoiceField(
        label=gettext_lazy("Demande de l’appelant"),
        choices=[
            (OPPOSE, gettext_lazy("Opposition à l’ouverture du dossier")),
            (ACTIVATE, gettext_lazy("Ouverture anticipée du dossier")),
        ],
        widget=forms.RadioSelect,
    )
    identity_checked = forms.BooleanField(
        label=gettext_lazy(
            "J’ai vérifié l’identité de l’appelant (questions de sécurité du dossier d’assuré)"
        ),
        error_messages={
            "required": gettext_lazy("Vérifiez l’identité de l’appelant avant d’agir.")
        },
    )


@login_required
def caller_notice(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_support_agent:
        raise Http404
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
                campaign_services.caller_oppose
                if data["choice"] == CallerNoticeForm.OPPOSE
                else campaign_services.caller_activate
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
    return render(request, "records/support_notice.html", {"form": form})
