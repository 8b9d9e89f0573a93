"""Account security (two-factor devices, backup codes, sessions), and professionals
of the directory joining the portal."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session

from messpace.accounts.models import Professional, User
from messpace.mail import notice_email

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


# --- Professionals of the directory joining the portal ---------------------------------------

PROFESSIONAL_INVITATION_TEMPLATE = "professional_invitation"


def professional_invite(*, by: User, professional: Professional, email: str) -> User:
    """Invite a professional of the directory (no login yet) to join the portal.

    The login is made at once, under the address given and without a
    password, bound to the professional; the message carries a single-use
    link (Django's password-reset token, valid ``PASSWORD_RESET_TIMEOUT``) to
    choose one, after which the second factor is required as for every
    professional. Inviting again a professional whose login was never used
    moves it to the new address and sends a new link. Raises
    ``ValidationError`` (French, field ``email``) and changes nothing when the
    professional already uses a login, or the address is another account's.
    """
    if not by.is_staff:
        raise PermissionDenied
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": [_("Adresse électronique non valide.")]}) from exc
    with transaction.atomic():
        professional = Professional.objects.select_for_update().get(pk=professional.pk)
        user = professional.user
        if user is not None and (user.has_usable_password() or user.last_login is not None):
            raise ValidationError(
                {"email": [_("Ce professionnel a déjà un compte sur le portail.")]},
                code="already_joined",
            )
        taken = User.objects.filter(email__iexact=email)
        if user is not None:
            taken = taken.exclude(pk=user.pk)
        if taken.exists():
            raise ValidationError(
                {"email": [_("Cette adresse est déjà celle d’un autre compte.")]},
                code="email_taken",
            )
        if user is None:
            user = User.objects.create_user(
                email=email, first_name=professional.first_name, last_name=professional.last_name
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            professional.user = user
            professional.save(update_fields=["user"])
        elif user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.MESSPACE_SITE_URL.rstrip("/") + reverse(
            "accounts:activate", args=[uid, token]
        )
        context = {
            "professional_name": professional.display_name,
            "site_name": settings.MESSPACE_SITE_NAME,
            "link": link,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        }
        message = notice_email(PROFESSIONAL_INVITATION_TEMPLATE, context, email)
        # Sent inside the transaction: a refused send leaves no half-made login.
        message.send()
    return user
