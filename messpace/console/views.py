"""The console's home: the menu of the person's roles, as cards."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from messpace.console.roles import ConsoleRole, console_page, console_roles


@console_page(ConsoleRole.ADMIN, ConsoleRole.SUPPORT)
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(role.label for role in console_roles(request.user))
    return render(request, "console/home.html", {"role_labels": roles})
