"""The project's own error pages, in French, for every mode but ``DEBUG_TRACEBACKS``."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"message": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A page that needs neither the database nor the session (either may be what failed)."""
    try:
        return HttpResponseServerError(loader.get_template("errors/500.html").render())
    except Exception:  # the page itself must not fail: fall back to plain words
        logger.exception("The error page could not be rendered")
        return HttpResponseServerError(
            _("Le service rencontre un problème. Réessayez dans quelques minutes."),
            content_type="text/plain; charset=utf-8",
        )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form's security token was missing or stale: say what to do, in words."""
    message = _(
        "Cette page était restée ouverte trop longtemps ou votre session a changé : "
        "rechargez la page puis recommencez. Rien n’a été enregistré."
    )
    return render(request, "errors/403.html", {"message": message}, status=403)
