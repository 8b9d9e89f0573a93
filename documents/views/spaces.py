"""The documents pages in each space: the patient's (or a guardian's acting for a
child), a professional's and a carer's. Each view establishes access, then
delegates to ``documents.views.common``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from consent.access import carer_access, patient_access, professional_access, professional_required
from documents.views import common

Handler = Callable[..., HttpResponse]


def _patient(handler: Handler) -> Handler:
    @wraps(handler)
    @login_required
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return handler(request, patient_access(request), *args, **kwargs)

    return view


def _pro(handler: Handler) -> Handler:
    @wraps(handler)
    @professional_required
    def view(request: HttpRequest, patient_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        return handler(request, professional_access(request, patient_id), *args, **kwargs)

    return view


def _carer(handler: Handler) -> Handler:
    @wraps(handler)
    @login_required
    def view(request: HttpRequest, patient_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        return handler(request, carer_access(request, patient_id), *args, **kwargs)

    return view


HANDLERS: dict[str, Handler] = {
    "list": common.document_list,
    "deposit": common.document_deposit,
    "detail": common.document_detail,
    "content": common.document_content,
    "download": common.document_download,
    "preview": common.document_preview,
    "visibility": common.document_visibility,
    "delete": common.document_delete,
    "confidentiality": common.document_confidentiality,
    "new_version": common.document_new_version,
}

PATIENT_VIEWS = {name: _patient(h) for name, h in HANDLERS.items()}
PRO_VIEWS = {name: _pro(h) for name, h in HANDLERS.items() if name not in {"visibility", "delete"}}
CARER_VIEWS = {
    name: _carer(h)
    for name, h in HANDLERS.items()
    if name not in {"visibility", "delete", "new_version", "confidentiality"}
}
