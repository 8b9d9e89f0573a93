"""The console's menu for its pages (and the way back to it from an error page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from messpace.console.menu import menu_for
from messpace.console.roles import console_roles


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not console_roles(user):
        return {"console_user": False}
    # Lazily: most pages of an operator do not show the menu.
    return {"console_user": True, "console_menu": lambda: menu_for(user)}
