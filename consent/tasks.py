"""Thin Celery wrappers around consent notifications: ids in, one service call, safe twice."""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task

from consent import notifications, services

# Mail server hiccups are worth retrying; the claim in the service is rolled back
# with the failed send, so a retry mails the patient exactly once.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
MAIL_TASK: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": TRANSIENT_MAIL_ERRORS,
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**MAIL_TASK)
def emergency_access_notify(grant_id: int) -> None:
    """Tell the patient their record was opened in an emergency (no health content)."""
    notifications.emergency_access_notify(grant_id=grant_id)


@shared_task(**MAIL_TASK)
def care_relationship_notify(relationship_id: int) -> None:
    """Tell the patient a professional declared a care relationship (no health content)."""
    notifications.care_relationship_notify(relationship_id=relationship_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def guardianships_end_at_majority() -> int:
    """Daily (beat): end guardianships at the 18th birthday, then announce each."""
    patient_ids = services.guardianships_end_at_majority()
    for patient_id in patient_ids:
        majority_notify.delay(patient_id)
    return len(patient_ids)


@shared_task(**MAIL_TASK)
def majority_notify(patient_id: int) -> None:
    """The young adult's invitation and the notices to their former guardians."""
    notifications.majority_notify(patient_id=patient_id)
