"""Thin Celery wrappers around ``consent.optout.services``.

The tasks keep the names they were registered under when they lived in
``records.tasks``, so that routes, beat entries and messages already queued
still reach them.
"""

from celery import shared_task

from consent.optout.services import campaigns, cohorts, outcomes


@shared_task(
    name="records.tasks.cohort_import_run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def cohort_import_run(import_id: int) -> None:
    """Import the lines of a cohort import; resumes an interrupted one, safe to run twice."""
    cohorts.cohort_import_run(import_id=import_id)


@shared_task(
    name="records.tasks.campaign_run",
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
    if campaigns.campaign_run(campaign_id=campaign_id, batch_size=batch_size):
        # More remains: the next bounded run is a new message (see BATCHES_PER_RUN).
        campaign_run.delay(campaign_id, batch_size)


@shared_task(
    name="records.tasks.campaigns_resume",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def campaigns_resume() -> int:
    """Beat: enqueue again the run of every running campaign whose progress stalled
    (its message was lost); safe twice, since a run resumes where the last stopped."""
    return len(campaigns.campaigns_resume())


@shared_task(
    name="records.tasks.records_open_due",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def records_open_due() -> int:
    """Beat: open the records whose opt-out delay has passed without opposition."""
    return outcomes.records_open_due()


@shared_task(
    name="records.tasks.letter_batches_purge",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def letter_batches_purge() -> int:
    """Beat: delete the files of letter batches past their retention."""
    return campaigns.letter_batches_purge()
