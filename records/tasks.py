"""Thin Celery wrappers around ``records.services``.

The lifecycle's task (erasure) is in :mod:`records.lifecycle.tasks`, the
opt-out campaigns' in :mod:`consent.optout.tasks`.
"""

from celery import shared_task

from records import services
from records.models import Patient


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def timeline_rebuild(patient_id: int) -> int:
    """Rewrite a patient's timeline rows from their entries; safe to run twice."""
    if not Patient.objects.filter(pk=patient_id).exists():
        return 0
    return services.timeline_rebuild(patient_id=patient_id)
