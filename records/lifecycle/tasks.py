"""Thin Celery wrappers around the record's lifecycle.

The task keeps the name it was registered under in ``records.tasks``, so that
the beat entry and messages already queued still reach it.
"""

from celery import shared_task

from records.lifecycle import erasure


@shared_task(
    name="records.tasks.records_erase_due",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def records_erase_due() -> int:
    """Beat: erase the closed records whose erasure was asked for or whose archive expired."""
    return erasure.records_erase_due()
