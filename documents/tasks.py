"""Thin Celery tasks for documents: ids in, one service call, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from consent.tasks import MAIL_TASK
from documents import notifications, services

INGEST_TASK: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": services.TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(**INGEST_TASK)
def upload_process(upload_id: str) -> str:
    """Ingest one upload (queue ``ingest``)."""
    return services.upload_process(upload_id=upload_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def uploads_resume() -> int:
    """Every few minutes (beat): requeue uploads a lost message left waiting."""
    return services.uploads_resume()


@shared_task(**MAIL_TASK)
def document_notify(document_id: int) -> None:
    """Tell the patient a professional added a document (no health content)."""
    notifications.document_notify(document_id=document_id)
