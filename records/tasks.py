"""Thin Celery wrappers around ``records.services``."""

from celery import shared_task

from records import cohort_services, services
from records.models import Patient


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def timeline_rebuild(patient_id: int) -> int:
    """Rewrite a patient's timeline rows from their entries; safe to run twice."""
    if not Patient.objects.filter(pk=patient_id).exists():
        return 0
    return services.timeline_rebuild(patient_id=patient_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def cohort_import_run(import_id: int) -> None:
    """Import the lines of a cohort import; resumes an interrupted one, safe to run twice."""
    cohort_services.cohort_import_run(import_id=import_id)
