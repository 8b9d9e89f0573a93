from __future__ import annotations

from celery import shared_task

from consent.tasks import MAIL_TASK
from messaging import notifications


@shared_task(**MAIL_TASK)
def message_notify(message_id: int) -> None:
    """Tell the other side a message waits (no health content); safe twice."""
    notifications.message_notify(message_id=message_id)
