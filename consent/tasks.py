"""Thin Celery wrappers around consent notifications: ids in, one service call, safe twice."""

from __future__ import annotations

import smtplib

from celery import shared_task

from consent import notifications

# Mail server hiccups are worth retrying; the claim in the service is rolled back
# with the failed send, so a retry mails the patient exactly once.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def emergency_access_notify(grant_id: int) -> None:
    """Tell the patient their record was opened in an emergency (no health content)."""
    notifications.emergency_access_notify(grant_id=grant_id)
