"""The patient's own record: each view establishes access, then delegates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent.policy import own_record_access
from records import services
from records.forms import PatientContactForm
from records.sections import SECTIONS
from records.views import common


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return common.dashboard(request, own_record_access(request.user))  # type: ignore[arg-type]


@login_required
def section_list(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_list(request, own_record_access(request.user), slug)  # type: ignore[arg-type]


@login_required
def section_add(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_add(request, own_record_access(request.user), slug)  # type: ignore[arg-type]


@login_required
def section_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_edit(request, own_record_access(request.user), slug, pk)  # type: ignore[arg-type]


@login_required
def section_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_delete(request, own_record_access(request.user), slug, pk)  # type: ignore[arg-type]


@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    return common.timeline(request, own_record_access(request.user))  # type: ignore[arg-type]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Identity (read-only, from the national reference) and editable contact details."""
    access = own_record_access(request.user)  # type: ignore[arg-type]
    form = PatientContactForm(request.POST or None, instance=access.patient)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PatientContactForm.Meta.fields}
        try:
            services.patient_contact_update(access=access, data=data)
        except ValidationError as exc:
            common.apply_errors(form, exc)
        else:
            messages.success(request, _("Vos coordonnées ont été mises à jour."))
            return redirect("records:profile")
    return render(
        request,
        "records/profile.html",
        {"access": access, "patient": access.patient, "sections": SECTIONS, "form": form},
    )
