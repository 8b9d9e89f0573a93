"""Notices to patients about their documents. Never any health content, not even a title."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from documents.models import Document
from messpace.mail import notice_email
from records.lifecycle.models import RecordState


def document_notify(*, document_id: int) -> bool:
    """Email the patient once that a professional added a document; safe to run twice."""
    with transaction.atomic():
        # Only while the record is open: a closed record tells nobody anything.
        claimed = Document.objects.filter(
            pk=document_id, notified_at__isnull=True, patient__record__state=RecordState.ACTIVE
        ).update(notified_at=timezone.now())
        if not claimed:
            return False
        doc = Document.objects.select_related("patient__user").get(pk=document_id)
        patient = doc.patient
        email = patient.user.email if patient.user else patient.email
        if not email:
            return False
        context = {"site_name": settings.MESSPACE_SITE_NAME, "site_url": settings.MESSPACE_SITE_URL}
        message = notice_email("document_added", context, email)
        # A failed send raises and rolls the claim back, for the retry.
        message.send()
    return True
