"""Thin Celery wrappers around consent notifications."""

from celery import shared_task

from consent import notifications


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def emergency_access_notify(grant_id: int) -> None:
    """Tell the patient their record was opened in an emergency (no health content)."""
    notifications.emergency_access_notify(grant_id=grant_id)
