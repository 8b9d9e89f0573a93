"""A carer's (aidant's) view of the records of the patients who invited them.

Every record page establishes access with ``consent.access.carer_access`` (404
without a live grant) and delegates to ``records.views.common``, exactly as
the professional pages do; every read and write is logged as the carer's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consent import services as consent_services
from consent.access import carer_access
from consent.policy import carer_patients
from messpace.context_processors import CARER_SESSION_KEY
from messpace.grammar import of_name
from records.views import common

if TYPE_CHECKING:
    from messpace.accounts.models import User


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patients = list(carer_patients(user).order_by("birth_names", "given_names", "pk"))
    # Refresh the menu flag: a grant may have ended or been revoked since login.
    request.session[CARER_SESSION_KEY] = bool(patients)
    return render(request, "records/carer/patient_list.html", {"patients": patients})


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: the page shows a button; only the POST binds the grant."""
    user: User = request.user  # type: ignore[assignment]
    error = ""
    if request.method == "POST":
        try:
            grant = consent_services.carer_accept(user=user, token=token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session[CARER_SESSION_KEY] = True
            messages.success(
                request,
                _("Vous êtes désormais l’aidant(e) %(of_name)s.")
                % {"of_name": of_name(grant.patient.full_name)},
            )
            return redirect("carer:dashboard", patient_id=grant.patient_id)
    response = render(request, "records/carer/invitation.html", {"error": error})
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@login_required
def dashboard(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.dashboard(request, carer_access(request, patient_id))


@login_required
def section_list(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    return common.section_list(request, carer_access(request, patient_id), slug)


@login_required
def section_add(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    return common.section_add(request, carer_access(request, patient_id), slug)


@login_required
def section_edit(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    return common.section_edit(request, carer_access(request, patient_id), slug, pk)


@login_required
def section_delete(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    return common.section_delete(request, carer_access(request, patient_id), slug, pk)


@login_required
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.timeline(request, carer_access(request, patient_id))
