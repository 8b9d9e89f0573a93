"""Notices sent to patients about access to their record. Never any health content."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from consent.models import CarerGrant, EmergencyAccess


def emergency_access_notify(*, grant_id: int) -> bool:
    """Email the patient once about an emergency access; safe to run twice.

    The row is claimed with a conditional update so a second delivery sends nothing.
    """
    with transaction.atomic():
        claimed = EmergencyAccess.objects.filter(pk=grant_id, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return False
        grant = EmergencyAccess.objects.select_related("patient__user", "professional__user").get(
            pk=grant_id
        )
        email = grant.patient.email or (grant.patient.user.email if grant.patient.user else "")
        if not email:
            return False
        context = {"grant": grant, "site_name": settings.MESSPACE_SITE_NAME}
        # The text is French whatever language the request that queued it used
        # (the task runs inside that request when Celery is eager).
        with translation.override(settings.LANGUAGE_CODE):
            message = EmailMultiAlternatives(
                subject=render_to_string("emails/emergency_access_subject.txt", context).strip(),
                body=render_to_string("emails/emergency_access_body.txt", context),
                to=[email],
            )
            message.attach_alternative(
                render_to_string("emails/emergency_access_body.html", context), "text/html"
            )
        # A failed send raises and rolls the claim back, so a retry can send it.
        message.send()
    return True


def carer_invitation_send(*, grant_id: int, token: str) -> bool:
    """Email the invited carer the link to accept. Never any health content."""
    grant = CarerGrant.objects.select_related("patient").filter(pk=grant_id).first()
    if grant is None or grant.revoked_at is not None:
        return False
    base = settings.MESSPACE_SITE_URL.rstrip("/")
    context = {
        "grant": grant,
        "patient_name": grant.patient.full_name,
        "site_name": settings.MESSPACE_SITE_NAME,
        "link": f"{base}/aidant/invitation/{token}/",
    }
    with translation.override(settings.LANGUAGE_CODE):
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/carer_invitation_subject.txt", context).strip(),
            body=render_to_string("emails/carer_invitation_body.txt", context),
            to=[grant.invited_email],
        )
        message.attach_alternative(
            render_to_string("emails/carer_invitation_body.html", context), "text/html"
        )
    message.send()
    return True
