"""Closing a record, and what its holder sees while it is closed.

Closing goes through the patient pages' access (``patient_access``: the
user's own record, or a child's they act for as guardian). A closed record
is outside the access policy, so its pages here find it through
``selectors.closed_record_for``: the holder's own (no ``patient_id``)
or a minor's they are a live guardian of; 404 for anyone else. They show
the closure, never the record's content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.access import patient_access, stop_acting
from records.lifecycle import selectors, services
from records.lifecycle.forms import DeletionRequestForm, RecordCloseForm
from records.models import MINOR_CONFIDENTIALITY_AGE
from records.sections import SECTIONS

if TYPE_CHECKING:
    from messpace.accounts.models import User


def _closed_url(patient_id: int | None) -> HttpResponse:
    if patient_id is None:
        return redirect("records:closed")
    return redirect("records:child_closed", patient_id=patient_id)


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest) -> HttpResponse:
    access = patient_access(request)
    form = RecordCloseForm(request.POST or None, request=request)
    if not access.is_self and access.patient.age >= MINOR_CONFIDENTIALITY_AGE:
        # Erasure of a minor's record from 15 is not a guardian's alone to ask.
        form.fields.pop("request_deletion")
    if request.method == "POST" and form.is_valid():
        try:
            services.record_close(
                access=access,
                request_deletion=bool(form.cleaned_data.get("request_deletion")),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Le dossier est fermé."))
            if access.is_self:
                return _closed_url(None)
            stop_acting(request.session)
            return _closed_url(access.patient.pk)
    return render(
        request,
        "records/lifecycle/close.html",
        {"access": access, "patient": access.patient, "sections": SECTIONS, "form": form},
    )


@login_required
@require_http_methods(["GET"])
def closed(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    held = selectors.closed_record_for(user, patient_id)
    return render(
        request,
        "records/lifecycle/closed.html",
        {
            "held": held,
            "patient_id": patient_id,
            "form": DeletionRequestForm(request=request),
        },
    )


@login_required
@require_POST
def reopen(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    services.record_reopen(user=user, patient_id=patient_id)
    messages.success(request, _("Le dossier est rouvert, tel qu’il était à sa fermeture."))
    if patient_id is None:
        return redirect("records:dashboard")
    return redirect("records:children")


@login_required
@require_POST
def deletion_request(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    held = selectors.closed_record_for(user, patient_id)
    form = DeletionRequestForm(request.POST, request=request)
    if not form.is_valid():
        return render(
            request,
            "records/lifecycle/closed.html",
            {"held": held, "patient_id": patient_id, "form": form},
            status=400,
        )
    try:
        services.closure_request_deletion(user=user, patient_id=patient_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Votre demande de suppression est enregistrée."))
    return _closed_url(patient_id)


@login_required
@require_POST
def deletion_cancel(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        services.closure_cancel_deletion(user=user, patient_id=patient_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Votre demande de suppression est annulée ; le dossier reste fermé.")
        )
    return _closed_url(patient_id)
