"""From a request to a ``RecordAccess``, in each space of the portal.

Every page that shows health data starts here, then reads through the
access it got (see :mod:`consent.policy`); each helper answers 404 when the
user has no basis, so that records cannot be probed.

- **patient space** (``/espace/…``): :func:`patient_access`, the user's own
  record or, when a legal guardian switched into a child's record from
  *Mes enfants*, the child's (logged as the guardian's);
- **professional space** (``/pro/patients/…``): :func:`professional_required`
  then :func:`professional_access`;
- **carer space** (``/aidant/…``): :func:`carer_access`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from consent.policy import (
    RecordAccess,
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from messpace.context_processors import ACTING_FOR_NAME_SESSION_KEY, ACTING_FOR_SESSION_KEY

if TYPE_CHECKING:
    from messpace.accounts.models import User

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


# --- Patient space ---------------------------------------------------------------------------


def stop_acting(session: SessionBase) -> None:
    """A guardian leaves the child's record they switched into."""
    session.pop(ACTING_FOR_SESSION_KEY, None)
    session.pop(ACTING_FOR_NAME_SESSION_KEY, None)


def patient_access(request: HttpRequest) -> RecordAccess:
    """The record patient-side pages show: the user's own, or the child's they act for.

    A guardianship that ended meanwhile answers 404 once and returns the user
    to their own record. A form names the record it was shown for (field
    ``record``): if the user switched records in another tab meanwhile, the
    post is refused rather than filed in the wrong record.
    """
    user = _user(request)
    acting_for = request.session.get(ACTING_FOR_SESSION_KEY)
    if acting_for is None:
        access = own_record_access(user)
    else:
        try:
            access = guardian_record_access(user, int(acting_for))
        except Http404:
            stop_acting(request.session)
            raise
    posted = request.POST.get("record") if request.method == "POST" else None
    if posted is not None and posted != str(access.patient.pk):
        raise PermissionDenied(
            _(
                "Vous avez changé de dossier dans un autre onglet depuis l’affichage de ce formulaire : rien n’a été enregistré. Rechargez la page et recommencez."
            )
        )
    return access


def acting_for_child(request: HttpRequest) -> bool:
    """Whether a guardian is acting in a child's record (rather than their own)."""
    return request.session.get(ACTING_FOR_SESSION_KEY) is not None


# --- Professional space ----------------------------------------------------------------------


def professional_required(view: View) -> View:
    """Only professionals reach these pages; anyone else gets a 404."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _user(request).is_professional:
            raise Http404
        return view(request, *args, **kwargs)

    return cast("View", wrapper)


def professional_access(request: HttpRequest, patient_id: int) -> RecordAccess:
    """A professional's access to one patient's record, with its basis; 404 without one."""
    return professional_record_access(_user(request), patient_id)


# --- Carer space -----------------------------------------------------------------------------


def carer_access(request: HttpRequest, patient_id: int) -> RecordAccess:
    """A carer's access to the record of a patient who invited them; 404 without a live grant."""
    return carer_record_access(_user(request), patient_id)
