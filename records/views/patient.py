"""The patient's own record: each view establishes access, then delegates.

A legal guardian who switched into a child's record (``records.views.family``)
sees these same pages for the child: ``consent.access.patient_access`` reads
the session and returns the guardian's access, logged as theirs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent.access import acting_for_child, patient_access
from consent.models import AccessAction
from messpace.forms import apply_errors
from records import services
from records.forms import PatientContactForm
from records.lifecycle.selectors import own_record_is_closed
from records.sections import SECTIONS
from records.views import common


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        access = patient_access(request)
    except Http404:
        # The user's own record is closed: its holder's page says so and offers
        # to reopen it.
        if not acting_for_child(request) and own_record_is_closed(request.user):  # type: ignore[arg-type]
            return redirect("records:closed")
        raise
    return common.dashboard(request, access)


@login_required
def section_list(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_list(request, patient_access(request), slug)


@login_required
def section_add(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_add(request, patient_access(request), slug)


@login_required
def section_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_edit(request, patient_access(request), slug, pk)


@login_required
def section_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_delete(request, patient_access(request), slug, pk)


@login_required
def entry_confidentiality(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.entry_confidentiality(request, patient_access(request), slug, pk)


@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    return common.timeline(request, patient_access(request))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Identity (read-only, from the national reference) and editable contact details."""
    access = patient_access(request)
    form = PatientContactForm(request.POST or None, instance=access.patient)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PatientContactForm.Meta.fields}
        try:
            services.patient_contact_update(access=access, data=data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Vos coordonnées ont été mises à jour."))
            return redirect("records:profile")
    access.log(action=AccessAction.READ, what="profile")
    return render(
        request,
        "records/profile.html",
        {"access": access, "patient": access.patient, "sections": SECTIONS, "form": form},
    )
