"""The patient's own record: each view establishes access, then delegates.

A legal guardian who switched into a child's record (``records.views.family``)
sees these same pages for the child: ``patient_access`` reads the session and
returns the guardian's access, logged as theirs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent.models import AccessAction
from consent.policy import RecordAccess, guardian_record_access, own_record_access
from messpace.context_processors import ACTING_FOR_NAME_SESSION_KEY, ACTING_FOR_SESSION_KEY
from records import services
from records.forms import PatientContactForm
from records.models import Record, RecordState
from records.sections import SECTIONS
from records.views import common


def stop_acting(session: SessionBase) -> None:
    session.pop(ACTING_FOR_SESSION_KEY, None)
    session.pop(ACTING_FOR_NAME_SESSION_KEY, None)


def patient_access(request: HttpRequest) -> RecordAccess:
    """The record patient-side pages show: the user's own, or the child's they act for.

    A guardianship that ended meanwhile answers 404 once and returns the user
    to their own record.
    """
    user = request.user
    acting_for = request.session.get(ACTING_FOR_SESSION_KEY)
    if acting_for is None:
        access = own_record_access(user)  # type: ignore[arg-type]
    else:
        try:
            access = guardian_record_access(user, int(acting_for))  # type: ignore[arg-type]
        except Http404:
            stop_acting(request.session)
            raise
    _check_posted_record(request, access)
    return access


def _check_posted_record(request: HttpRequest, access: RecordAccess) -> None:
    """A form names the record it was shown for (field ``record``): if the user
    switched records in another tab meanwhile, refuse rather than file the data
    in the wrong record."""
    posted = request.POST.get("record") if request.method == "POST" else None
    if posted is not None and posted != str(access.patient.pk):
        raise PermissionDenied(
            _(
                "Vous avez changé de dossier dans un autre onglet depuis l’affichage de ce formulaire : rien n’a été enregistré. Rechargez la page et recommencez."
            )
        )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        access = patient_access(request)
    except Http404:
        # The user's own record is closed: its holder's page says so and offers
        # to reopen it.
        if request.session.get(ACTING_FOR_SESSION_KEY) is None and (
            Record.objects.filter(
                patient__user_id=request.user.pk or 0, state=RecordState.CLOSED
            ).exists()
        ):
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
            common.apply_errors(form, exc)
        else:
            messages.success(request, _("Vos coordonnées ont été mises à jour."))
            return redirect("records:profile")
    access.log(action=AccessAction.READ, what="profile")
    return render(
        request,
        "records/profile.html",
        {"access": access, "patient": access.patient, "sections": SECTIONS, "form": form},
    )
