from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class TwoFactorRequiredMiddleware:
    """Refuse a session that skipped the second factor where it is required.

    The login view always asks for the code; this closes any other door (an
    old session, a session created by another login path).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.requires_two_factor  # type: ignore[union-attr]
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            logout(request)
            return redirect("accounts:login")
        return self.get_response(request)
