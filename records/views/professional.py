"""A professional's view of their patients' records, through the consent policy."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent import services as consent_services
from consent.policy import RecordAccess, professional_patients, professional_record_access
from messpace.throttle import throttle_hit
from records.forms_pro import CareRelationshipDeclareForm, EmergencyAccessForm
from records.models import Patient, RecordState
from records.views import common

if TYPE_CHECKING:
    from messpace.accounts.models import User


class _View(Protocol):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse: ...


def professional_required(view: _View) -> _View:
    """Only professionals reach these pages; anyone else gets a 404."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_professional:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _no_match() -> str:
    # One answer for an unknown patient, a wrong birth date, a block or a refusal:
    # the page must not tell which records exist or what their patients chose.
    return _("Aucun dossier ne correspond à ces informations.")


def _record_access(request: HttpRequest, patient_id: int) -> RecordAccess:
    user: User = request.user  # type: ignore[assignment]
    return professional_record_access(user, patient_id)


def _lookup_throttled(user: User, form: Any) -> bool:
    """Finding a record by INS and birth date is rate-limited per professional,
    so identities cannot be guessed by trying many pairs."""
    if throttle_hit(
        scope="identity-lookup",
        key=str(user.pk),
        limit=settings.MESSPACE_IDENTITY_LOOKUPS_PER_HOUR,
        window_seconds=3600,
    ):
        form.add_error(
            None, _("Trop de recherches de dossier en peu de temps : réessayez dans une heure.")
        )
        return True
    return False


def _can_break_glass(user: User) -> bool:
    return user.professional.profession in consent_services.EMERGENCY_PROFESSIONS


def _patient_by_identity(user: User, nir: str, birth_date: dt.date) -> Patient | None:
    """The patient with this INS and birth date whose record is active; not the user themself."""
    return (
        Patient.objects.filter(nir=nir, birth_date=birth_date, record__state=RecordState.ACTIVE)
        .exclude(user_id=user.pk)
        .first()
    )


@professional_required
def patient_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    qs = professional_patients(user).order_by("birth_names", "given_names", "pk")
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        compact = query.replace(" ", "")
        qs = qs.filter(
            Q(birth_names__icontains=query)
            | Q(used_name__icontains=query)
            | Q(given_names__icontains=query)
            | Q(nir__startswith=compact.upper())
        )
    page = Paginator(qs, settings.MESSPACE_SECTION_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/pro/patient_list.html",
        {
            "page": page,
            "query": query,
            "pagination_query": urlencode({"q": query}) if query else "",
            "can_break_glass": _can_break_glass(user),
        },
    )


@professional_required
def care_relationship_declare(request: HttpRequest) -> HttpResponse:
    """Declare a care relationship with a patient who agreed, found by INS and birth date."""
    user: User = request.user  # type: ignore[assignment]
    form = CareRelationshipDeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _lookup_throttled(user, form):
        patient = _patient_by_identity(
            user, form.cleaned_data["nir"], form.cleaned_data["birth_date"]
        )
        if patient is not None:
            try:
                consent_services.care_relationship_declare(
                    professional=user.professional, patient=patient, declared_by=user
                )
            except Http404:  # the patient blocked this professional
                patient = None
        if patient is not None:
            messages.success(
                request,
                _("Relation de soins enregistrée avec %(name)s.") % {"name": patient.full_name},
            )
            return redirect("pro:dashboard", patient_id=patient.pk)
        form.add_error(None, _no_match())
    return render(request, "records/pro/care_relationship_declare.html", {"form": form})


@professional_required
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break the glass: only professions allowed to see the page at all."""
    user: User = request.user  # type: ignore[assignment]
    if not _can_break_glass(user):
        raise Http404
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _lookup_throttled(user, form):
        try:
            access = consent_services.emergency_access_open(
                user=user,
                nir=form.cleaned_data["nir"],
                birth_date=form.cleaned_data["birth_date"],
                reason=form.cleaned_data["reason"],
            )
        except Http404:  # unknown patient, or one who refused emergency access
            form.add_error(None, _no_match())
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.warning(
                request,
                _("Accès en urgence ouvert. Il est tracé et le patient en est informé."),
            )
            return redirect("pro:dashboard", patient_id=access.patient.pk)
    hours = int(consent_services.EMERGENCY_DURATION.total_seconds() // 3600)
    return render(
        request, "records/pro/emergency_access.html", {"form": form, "emergency_hours": hours}
    )


@professional_required
def dashboard(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.dashboard(request, _record_access(request, patient_id))


@professional_required
def section_list(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = _record_access(request, patient_id)
    return common.section_list(request, access, slug)


@professional_required
def section_add(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = _record_access(request, patient_id)
    return common.section_add(request, access, slug)


@professional_required
def section_edit(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = _record_access(request, patient_id)
    return common.section_edit(request, access, slug, pk)


@professional_required
def section_delete(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = _record_access(request, patient_id)
    return common.section_delete(request, access, slug, pk)


@professional_required
def entry_confidentiality(
    request: HttpRequest, patient_id: int, slug: str, pk: int
) -> HttpResponse:
    return common.entry_confidentiality(request, _record_access(request, patient_id), slug, pk)


@professional_required
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.timeline(request, _record_access(request, patient_id))
