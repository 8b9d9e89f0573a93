"""Celery integration: tasks travel through Redis to a real worker process."""

from __future__ import annotations

import datetime as dt

import pytest

from records.models import Condition, TimelineEvent, Vaccination
from records.tasks import timeline_rebuild
from tests.factories import PatientFactory
from tests.integration.conftest import Worker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]


def _bulk_entries(patient_id: int, n: int) -> None:
    # Written without the services on purpose: the timeline starts empty.
    Condition.objects.bulk_create(
        Condition(patient_id=patient_id, label=f"Maladie {i}", start_date=dt.date(2020, 1, 1))
        for i in range(n)
    )
    Vaccination.objects.bulk_create(
        Vaccination(patient_id=patient_id, vaccine=f"Vaccin {i}", date=dt.date(2021, 5, 1))
        for i in range(n)
    )


def test_worker_rebuilds_timeline_sent_through_redis(celery_worker: Worker) -> None:
    """GIVEN entries with no timeline rows WHEN the rebuild task goes to the worker
    THEN the worker writes one row per entry."""
    patient = PatientFactory()
    _bulk_entries(patient.pk, 5)
    assert TimelineEvent.objects.filter(patient=patient).count() == 0

    timeline_rebuild.apply_async(args=[patient.pk], queue=celery_worker.queue)

    wait_until(
        lambda: TimelineEvent.objects.filter(patient=patient).count() == 10, what="10 timeline rows"
    )


def test_task_delivered_twice_writes_each_event_once(celery_worker: Worker) -> None:
    """GIVEN a rebuild already done WHEN the same task is delivered again (and a task
    for a patient that no longer exists is delivered) THEN nothing is duplicated and
    the worker keeps serving."""
    patient = PatientFactory()
    other = PatientFactory()
    _bulk_entries(patient.pk, 3)

    for _ in range(2):
        timeline_rebuild.apply_async(args=[patient.pk], queue=celery_worker.queue)
    timeline_rebuild.apply_async(args=[999_999_999], queue=celery_worker.queue)
    _bulk_entries(other.pk, 1)
    timeline_rebuild.apply_async(args=[other.pk], queue=celery_worker.queue)

    # The last task is served only after the others: when it is done, they are too.
    wait_until(
        lambda: TimelineEvent.objects.filter(patient=other).count() == 2, what="other's rows"
    )
    assert TimelineEvent.objects.filter(patient=patient).count() == 6
    assert celery_worker.proc is not None and celery_worker.proc.poll() is None
