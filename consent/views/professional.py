"""What a professional does to open a record: declare a care relationship with a
patient who agreed, or break the glass in an emergency.

Both find the record by INS and birth date (:func:`records.selectors.patient_by_identity`),
rate-limited per professional, and answer every miss (unknown patient, wrong
birth date, a block, a refusal of emergency access) with the same message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent import services as consent_services
from consent.access import professional_required
from consent.forms import CareRelationshipDeclareForm, EmergencyAccessForm
from messpace.throttle import throttle_hit
from records.selectors import patient_by_identity

if TYPE_CHECKING:
    from messpace.accounts.models import User


def _no_match() -> str:
    # One answer for an unknown patient, a wrong birth date, a block or a refusal:
    # the page must not tell which records exist or what their patients chose.
    return _("Aucun dossier ne correspond à ces informations.")


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


@professional_required
def care_relationship_declare(request: HttpRequest) -> HttpResponse:
    """Declare a care relationship with a patient who agreed, found by INS and birth date."""
    user: User = request.user  # type: ignore[assignment]
    form = CareRelationshipDeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not _lookup_throttled(user, form):
        patient = patient_by_identity(
            nir=form.cleaned_data["nir"],
            birth_date=form.cleaned_data["birth_date"],
            excluding_user=user,
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
    return render(request, "consent/pro/care_relationship_declare.html", {"form": form})


@professional_required
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break the glass: only professions allowed to see the page at all."""
    user: User = request.user  # type: ignore[assignment]
    if not consent_services.may_break_glass(user):
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
        request, "consent/pro/emergency_access.html", {"form": form, "emergency_hours": hours}
    )
