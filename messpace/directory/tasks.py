"""Thin Celery wrappers around ``messpace.directory.services``."""

from celery import shared_task

from messpace.directory import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def directory_import_run(import_id: int) -> None:
    """Import an extract of the national directory; resumes an interrupted one, safe twice."""
    services.directory_import_run(import_id=import_id)
