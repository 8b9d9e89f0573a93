"""The admin site: superusers only; operators are sent to the console."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messpace.console.roles import console_roles


class SuperuserAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Administration technique de messpace")
    site_title = gettext_lazy("Administration technique de messpace")
    index_title = gettext_lazy("Administration technique")

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # The admin's own login page is never used: the site's login, with its
        # second factor, admits everyone. A signed-in operator who is not a
        # superuser lands on their console home, told why.
        if self.has_permission(request):
            next_url = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = reverse("admin:index")
            return redirect(next_url)
        if request.user.is_authenticated:
            if console_roles(request.user):
                messages.info(
                    request,
                    _(
                        "L’administration technique est réservée à l’équipe technique ; "
                        "votre travail se fait dans la console."
                    ),
                )
                return redirect("console:home")
            return redirect("home")
        query = urlencode({"next": request.GET.get("next", reverse("admin:index"))})
        return redirect(f"{reverse('accounts:login')}?{query}")
