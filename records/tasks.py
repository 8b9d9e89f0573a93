"""Thin Celery wrappers around ``records.services``."""

from celery import shared_task

from records import campaign_services, cohort_services, services
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


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def campaign_run(campaign_id: int, batch_size: int | None = None) -> None:
    """Issue a campaign's notices batch by batch and send its emails (queue ``letters``),
    a bounded amount per message, then enqueue the rest; resumes where a killed
    worker stopped. ``batch_size``: notices per batch, when not the setting's."""
    if campaign_services.campaign_run(campaign_id=campaign_id, batch_size=batch_size):
        # More remains: the next bounded run is a new message (see BATCHES_PER_RUN).
        campaign_run.delay(campaign_id, batch_size)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def campaigns_resume() -> int:
    """Beat: enqueue again the run of every running campaign whose progress stalled
    (its message was lost); safe twice, since a run resumes where the last stopped."""
    return len(campaign_services.campaigns_resume())


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def records_open_due() -> int:
    """Beat: open the records whose opt-out delay has passed without opposition."""
    return campaign_services.records_open_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def records_erase_due() -> int:
    """Beat: erase the closed records whose erasure was asked for or whose archive expired."""
    from records import closure_services

    return closure_services.records_erase_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def letter_batches_purge() -> int:
    """Beat: delete the files of letter batches past their retention."""
    return campaign_services.letter_batches_purge()
