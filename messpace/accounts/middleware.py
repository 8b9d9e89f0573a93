from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
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
            and user.requires_two_factor
            # is_verified() is added to the user by django_otp's OTPMiddleware.
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            logout(request)
            return redirect("accounts:login")
        return self.get_response(request)


def forwarded_client_ip(remote_addr: str, forwarded_for: str, proxy_count: int) -> str:
    """The client's address as seen by the outermost of ``proxy_count`` trusted proxies.

    Each proxy appends the address it received the request from, so the client
    is the ``proxy_count``-th entry from the right; anything further left was
    written by the client and cannot be trusted. Falls back to ``remote_addr``
    when the header is missing, too short or not an address.
    """
    if proxy_count <= 0:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < proxy_count:
        return remote_addr
    candidate = hops[-proxy_count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote_addr
    return candidate


class TrustedProxyMiddleware:
    """Put the real client address in ``REMOTE_ADDR`` behind trusted reverse proxies.

    django-axes keys lockouts on username + address and django-qsessions shows
    the address of each session; both read ``REMOTE_ADDR``. Behind a load
    balancer that is the balancer's address, so one attacker's failures would
    lock the account for everyone. ``TRUSTED_PROXY_COUNT`` says how many
    proxies stand in front of Django (0: none, ``X-Forwarded-For`` ignored).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxy_count: int = settings.TRUSTED_PROXY_COUNT
        if proxy_count:
            request.META["REMOTE_ADDR"] = forwarded_client_ip(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                proxy_count,
            )
        return self.get_response(request)
