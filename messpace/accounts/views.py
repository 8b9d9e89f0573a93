"""Login in two steps (password, then code), two-factor enrolment, sessions."""

from __future__ import annotations

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from messpace.accounts import services
from messpace.accounts.forms import LoginForm, OTPTokenForm
from messpace.accounts.models import User

PENDING_KEY = "_pending_login"
FRESH_CODES_KEY = "_fresh_backup_codes"
NEXT_AFTER_CODES_KEY = "_next_after_backup_codes"
PENDING_TTL_SECONDS = 300
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"
WRONG_CODE_MESSAGE = gettext_lazy(
    "Ce code n’est pas valide ou a expiré. Réessayez avec un nouveau code."
)


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Shown by django-axes after too many failures for this address and this email."""
    return render(request, "accounts/locked.html", status=429)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        assert user is not None  # noqa: S101
        if user.requires_two_factor or services.user_has_two_factor(user):
            request.session[PENDING_KEY] = {
                "uid": user.pk,
                "at": time.time(),
                "next": _safe_next(request),
            }
            return redirect("accounts:login_code")
        _complete_login(request, user, device=None)
        return redirect(_safe_next(request))
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_TTL_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, ""
    user = User.objects.filter(pk=pending["uid"], is_active=True).first()
    return user, pending.get("next") or reverse("home")


def _complete_login(request: HttpRequest, user: User, *, device: Device | None) -> None:
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=AUTH_BACKEND)  # cycles the session key
    if device is not None:
        otp_login(request, device)


def login_code_view(request: HttpRequest) -> HttpResponse:
    """Second step: a code from the authenticator app or a backup code.

    A user who must use two-factor but has no device yet enrols here first,
    then sees their backup codes once before going on.
    """
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("Votre connexion a expiré, veuillez recommencer."))
        return redirect("accounts:login")
    form = OTPTokenForm(request.POST or None)
    enrolment: TOTPDevice | None = None
    if not services.user_has_two_factor(user):
        enrolment = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if enrolment is None:
            enrolment = services.totp_device_start(user=user)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if enrolment is not None:
            if services.totp_device_confirm(device=enrolment, token=token):
                codes = services.backup_codes_regenerate(user=user)
                _complete_login(request, user, device=enrolment)
                request.session[FRESH_CODES_KEY] = codes
                request.session[NEXT_AFTER_CODES_KEY] = next_url
                return redirect("accounts:backup_codes")
        else:
            device = services.two_factor_verify(user=user, token=token)
            if device is not None:
                _complete_login(request, user, device=device)
                return redirect(next_url)
        form.add_error("token", WRONG_CODE_MESSAGE)
    context: dict[str, Any] = {"form": form, "enrolment": enrolment}
    if enrolment is not None:
        context["qr_svg"] = _qr_svg(enrolment)
        context["secret"] = _b32(enrolment)
    return render(request, "accounts/login_code.html", context)


def _b32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _qr_svg(device: TOTPDevice) -> str:
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_inline(scale=4, title=_("QR code à scanner avec votre application")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # POST only: a prefetched link or an <img src> must not end the session.
    logout(request)
    messages.success(request, _("Votre session est fermée. À bientôt !"))
    return redirect("accounts:login")


@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    devices = list(devices_for_user(user, confirmed=True))
    totp = next((d for d in devices if isinstance(d, TOTPDevice)), None)
    backup_left = sum(d.token_set.count() for d in devices if hasattr(d, "token_set"))
    return render(
        request,
        "accounts/security.html",
        {
            "totp": totp,
            "backup_left": backup_left,
            "sessions": services.sessions_active(user=user),
            "current_key": request.session.session_key,
        },
    )


@login_required
def two_factor_enrol_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = OTPTokenForm(request.POST or None)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or request.method == "GET":
        device = services.totp_device_start(user=user)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            # Sessions opened before two-factor was on never showed a code: close them.
            services.sessions_end_others(user=user, keep=request.session.session_key)
            request.session[FRESH_CODES_KEY] = services.backup_codes_regenerate(user=user)
            messages.success(request, _("La validation en deux étapes est activée."))
            return redirect("accounts:backup_codes")
        form.add_error("token", WRONG_CODE_MESSAGE)
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "qr_svg": _qr_svg(device), "secret": _b32(device)},
    )


@login_required
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        if not request.user.is_verified():  # type: ignore[union-attr]
            return redirect("accounts:security")
        request.session[FRESH_CODES_KEY] = services.backup_codes_regenerate(user=user)
        return redirect("accounts:backup_codes")
    codes = request.session.pop(FRESH_CODES_KEY, None)
    next_url = request.session.pop(NEXT_AFTER_CODES_KEY, None) or reverse("home")
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next_url": next_url})


@login_required
@require_POST
def two_factor_disable_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        services.two_factor_disable(user=user)
    except PermissionError:
        messages.error(
            request, _("La validation en deux étapes est obligatoire pour votre compte.")
        )
    else:
        messages.success(request, _("La validation en deux étapes est désactivée."))
    return redirect("accounts:security")


@login_required
@require_POST
def session_end_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    key = request.POST.get("session_key", "")
    if key == request.session.session_key:
        logout(request)
        return redirect("accounts:login")
    if services.session_end(user=user, session_key=key):
        messages.success(request, _("La session a été fermée."))
    else:
        messages.error(request, _("Cette session n’existe plus."))
    return redirect("accounts:security")


@login_required
@require_POST
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    count = services.sessions_end_others(user=user, keep=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "%(n)d autre session a été fermée.", "%(n)d autres sessions ont été fermées.", count
        )
        % {"n": count},
    )
    return redirect("accounts:security")
