"""A legal guardian's children: the list, and switching into a child's record.

While a guardian acts for a child, the patient pages (``records.views.patient``)
and the privacy pages show the child's record: the guardian may do all the
patient may, except see what was kept confidential from guardians, and every
access is logged as the guardian's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consent.access import stop_acting
from consent.policy import guardian_patients, guardian_record_access
from messpace.context_processors import (
    ACTING_FOR_NAME_SESSION_KEY,
    ACTING_FOR_SESSION_KEY,
    GUARDIAN_SESSION_KEY,
)
from messpace.grammar import of_name
from records.lifecycle.selectors import guardian_closed_records

if TYPE_CHECKING:
    from messpace.accounts.models import User


@login_required
@require_GET
def children(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patients = list(guardian_patients(user).order_by("birth_date", "pk"))
    # Refresh the menu flag: a guardianship may have ended since login.
    request.session[GUARDIAN_SESSION_KEY] = bool(patients)
    return render(
        request,
        "records/children.html",
        {
            "patients": patients,
            "acting_for": request.session.get(ACTING_FOR_SESSION_KEY),
            "closed": guardian_closed_records(user),
        },
    )


@login_required
@require_POST
def act_for(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Switch into a child's record (404 unless the user is their live guardian)."""
    user: User = request.user  # type: ignore[assignment]
    access = guardian_record_access(user, patient_id)
    request.session[ACTING_FOR_SESSION_KEY] = access.patient.pk
    request.session[ACTING_FOR_NAME_SESSION_KEY] = access.patient.full_name
    messages.info(
        request,
        _(
            "Vous êtes dans le dossier %(of_name)s, en tant que représentant légal. Vos consultations et vos modifications sont inscrites dans l’historique des accès de ce dossier."
        )
        % {"of_name": of_name(access.patient.full_name)},
    )
    return redirect("records:dashboard")


@login_required
@require_POST
def act_self(request: HttpRequest) -> HttpResponse:
    """Leave the child's record and return to one's own (or to the children list)."""
    stop_acting(request.session)
    user: User = request.user  # type: ignore[assignment]
    if user.is_patient:
        return redirect("records:dashboard")
    return redirect("records:children")
