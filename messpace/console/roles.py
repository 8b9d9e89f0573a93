"""Who may use the console, and which part of it.

Two roles: ``ADMIN`` (``User.is_staff``: campaigns, cohorts, quarantine,
directory, national figures) and ``SUPPORT`` (``User.is_support_agent``: the
caller tools). A page names the roles it serves; anyone else gets the 404 of
every other page (with a link to their own console home when they have one),
so a page's existence is not revealed to who may not use it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class ConsoleRole(enum.Enum):
    ADMIN = "admin"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        return str(_("Administration") if self is ConsoleRole.ADMIN else _("Assistance"))


def console_roles(user: Any) -> frozenset[ConsoleRole]:
    """The console roles of ``user`` (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = set()
    if user.is_staff:
        roles.add(ConsoleRole.ADMIN)
    if getattr(user, "is_support_agent", False):
        roles.add(ConsoleRole.SUPPORT)
    return frozenset(roles)


View = Callable[..., HttpResponse]


def console_page(*roles: ConsoleRole) -> Callable[[View], View]:
    """A console view for these roles: 404 for any other signed-in person."""
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not console_roles(request.user) & allowed:
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.console_roles = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorate
