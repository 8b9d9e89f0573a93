"""Notices sent to patients about access to their record. Never any health content."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from consent.models import (
    CareRelationship,
    CarerGrant,
    EmergencyAccess,
    Guardianship,
    GuardianshipEnd,
)
from messpace.accounts.models import User
from messpace.mail import notice_email
from records.models import Patient


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


def care_relationship_notify(*, relationship_id: int) -> bool:
    """Tell the patient once that a professional declared a care relationship with
    them, with a link to end it and block that professional; safe to run twice.

    The notice names the professional and the date, nothing about health, and
    not their profession or specialty (which could say what care is given).
    An adult's goes where the emergency notices go: the record's contact
    address, or the patient's login. A minor's goes to each live legal
    guardian, who manage the record, and also to the minor's own login from
    15. Claimed with a conditional update; a failed send rolls the claim back
    for the retry. A relationship ended meanwhile, or without anyone to tell,
    gets no notice.
    """
    with transaction.atomic():
        claimed = CareRelationship.objects.filter(
            pk=relationship_id,
            notified_at__isnull=True,
            ended_at__isnull=True,
            declared_by_professional=True,
        ).update(notified_at=timezone.now())
        if not claimed:
            return False
        relationship = CareRelationship.objects.select_related(
            "patient__user", "professional__user"
        ).get(pk=relationship_id)
        recipients = _care_notice_recipients(relationship.patient)
        if not recipients:
            transaction.set_rollback(True)
            return False
        path = reverse("consent:care_refuse", args=[relationship.pk])
        context = {
            "professional_name": relationship.professional.display_name,
            "started_at": relationship.started_at,
            "site_name": settings.MESSPACE_SITE_NAME,
            "link": settings.MESSPACE_SITE_URL.rstrip("/") + path,
        }
        for email in recipients:
            notice_email("care_relationship_declared", context, email).send()
    return True


def _care_notice_recipients(patient: Patient) -> list[str]:
    """Who is told of a care relationship declared for ``patient`` (see above)."""
    if not patient.is_minor:
        email = patient.email or (patient.user.email if patient.user else "")
        return [email] if email else []
    emails = list(
        Guardianship.objects.filter(patient=patient, ended_at__isnull=True)
        .exclude(guardian__email="")
        .order_by("pk")
        .values_list("guardian__email", flat=True)
    )
    if patient.may_keep_from_guardians and patient.user is not None and patient.user.email:
        emails.append(patient.user.email)
    unique: dict[str, str] = {}
    for email in emails:
        unique.setdefault(email.lower(), email)
    return list(unique.values())


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


def _young_adult_login(patient: Patient) -> tuple[User | None, str]:
    """The young adult's own login, if they have one, and a link to choose a
    password when their account has none yet.

    No account is ever made here from the record's contact email: a guardian
    may have set that address (acting as the child, they may edit the contact
    details), and an account built on it would hand the young adult's record,
    confidential items included, to the parent. A young adult without a login
    activates with the code of a postal notice, as any insured person does.
    """
    user = patient.user
    if user is None:
        return None, ""
    if user.has_usable_password():
        return user, ""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:activate", args=[uid, token])
    return user, settings.MESSPACE_SITE_URL.rstrip("/") + path


def majority_notify(*, patient_id: int) -> bool:
    """Announce a coming of age once: the young adult gets their own login, each
    former guardian is told their access ended. Safe to run twice.

    The guardianships are claimed with a lock and a conditional update; a
    failed send rolls the claim back so that a retry sends everything again.
    """
    with transaction.atomic():
        ended = list(
            Guardianship.objects.select_for_update(skip_locked=True)
            .filter(
                patient_id=patient_id,
                end_reason=GuardianshipEnd.MAJORITY,
                end_notified_at__isnull=True,
            )
            .select_related("guardian")
        )
        if not ended:
            return False
        Guardianship.objects.filter(pk__in=[g.pk for g in ended]).update(
            end_notified_at=timezone.now()
        )
        patient = Patient.objects.select_related("user").get(pk=patient_id)
        user, link = _young_adult_login(patient)
        context = {
            "patient_name": patient.full_name,
            "first_name": patient.first_given_name,
            "site_name": settings.MESSPACE_SITE_NAME,
            "site_url": settings.MESSPACE_SITE_URL,
            "link": link,
            "has_login": user is not None,
        }
        messages = []
        email = user.email if user is not None else ""
        if email:
            messages.append(notice_email("majority_patient", context, email))
        for guardianship in ended:
            if guardianship.guardian.email and guardianship.guardian.email != email:
                messages.append(
                    notice_email("majority_guardian", context, guardianship.guardian.email)
                )
        for message in messages:
            message.send()
    return True
