"""URL patterns of the documents pages, one module per space (see ``views.spaces``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path

from documents.views import console as console_views
from documents.views.spaces import CARER_VIEWS, PATIENT_VIEWS, PRO_VIEWS

ROUTES = {
    "list": "",
    "deposit": "deposer/",
    "detail": "<int:pk>/",
    "content": "<int:pk>/contenu/",
    "download": "<int:pk>/telecharger/",
    "preview": "<int:pk>/apercu/",
    "visibility": "<int:pk>/visibilite/",
    "delete": "<int:pk>/supprimer/",
    "confidentiality": "<int:pk>/confidentialite/",
    "new_version": "<int:pk>/nouvelle-version/",
}


def patterns(views: dict[str, Callable[..., HttpResponse]]) -> list[URLPattern]:
    return [path(ROUTES[name], view, name=name) for name, view in views.items()]


patient_patterns = (patterns(PATIENT_VIEWS), "documents")
pro_patterns = (patterns(PRO_VIEWS), "pro_documents")
carer_patterns = (patterns(CARER_VIEWS), "carer_documents")

# Mounted under /console/ (namespace ``console-documents``): the admins' quarantine.
console_patterns = (
    [
        path("quarantaine/", console_views.quarantine, name="quarantine"),
        path("quarantaine/<uuid:upload_id>/", console_views.review, name="review"),
    ],
    "console-documents",
)
