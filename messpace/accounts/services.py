"""Account security: two-factor devices, backup codes and sessions."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from messpace.accounts.models import User

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "application"
BACKUP_DEVICE_NAME = "codes de secours"
TOTP_DIGITS = 6  # django-otp's default, which enrolment never changes


def user_has_two_factor(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def two_factor_verify(*, user: User, token: str) -> Device | None:
    """Return the confirmed device that accepts ``token`` (consuming it), or None.

    A 6-digit code goes to the authenticator app, anything else to the backup
    codes. Trying every device with every token (``django_otp.match_token``)
    would count a mistyped app code as a failure against the backup codes too,
    until django-otp's growing throttle locks them out. The rows are locked so
    two concurrent requests cannot both spend the same backup code.
    """
    token = token.strip().replace(" ", "").lower()
    model: type[Device] = TOTPDevice if _looks_like_totp(token) else StaticDevice
    with transaction.atomic():
        devices = model.objects.filter(user=user, confirmed=True).select_for_update()
        for device in devices:
            if device.verify_token(token):
                return device
    return None


def _looks_like_totp(token: str) -> bool:
    return token.isdigit() and len(token) == TOTP_DIGITS


def totp_device_start(*, user: User) -> TOTPDevice:
    """Return the user's pending (unconfirmed) authenticator device, creating it if needed.

    A fresh secret is drawn each time enrolment restarts; the device only counts
    once :func:`totp_device_confirm` has seen a valid code from it.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm enrolment if ``token`` is a valid code; replaces any older authenticator."""
    if not device.verify_token(token.strip().replace(" ", "")):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return True


def backup_codes_regenerate(*, user: User, codes: list[str] | None = None) -> list[str]:
    """Replace the user's backup codes; each works once. Returns them for display once."""
    codes = codes or [_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _backup_code() -> str:
    # 10 characters from an unambiguous lower-case alphabet: about 50 bits.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def two_factor_disable(*, user: User) -> None:
    """Remove every device. Refused for roles where two-factor is mandatory."""
    if user.requires_two_factor:
        raise PermissionError("Two-factor authentication is mandatory for this account.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def sessions_active(*, user: User) -> list[Session]:
    return list(
        Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-updated_at")
    )


def session_end(*, user: User, session_key: str) -> bool:
    """End one of the user's own sessions (in the database and the cache).

    Returns False, touching nothing, when the key is unknown or belongs to
    someone else.
    """
    session = Session.objects.filter(user=user, session_key=session_key).first()
    if session is None:
        # Not a queryset delete: qsessions would send Redis an empty DEL and fail.
        return False
    session.delete()
    return True


def sessions_end_others(*, user: User, keep: str | None) -> int:
    """End every session of the user but ``keep`` (after a security change)."""
    others = list(
        Session.objects.filter(user=user).exclude(session_key=keep or "").only("session_key")
    )
    for session in others:
        session.delete()
    return len(others)
