"""Document ingestion through a real Celery worker on Redis and PostgreSQL.

The deposit's task travels through Redis to a worker subprocess that scans
with the test session's real clamd; a worker killed with SIGKILL in the middle
of an ingestion leaves the upload to be processed exactly once after restart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consent.policy import own_record_access
from documents import services
from documents.models import Document, Upload, UploadState
from messpace.celery import app as celery_app
from records.models import Patient
from tests.documents.test_documents import pdf_bytes
from tests.factories import PatientUserFactory
from tests.integration.conftest import Worker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]


class SlowFirstScanProxy:
    """A unix-socket relay to the real clamd that holds the first scan for a while.

    It stands for a scanner that is slow once, so that a test can catch an
    ingestion in the middle of its work; every later connection is relayed at once.
    """

    def __init__(self, target: str, hold_seconds: float) -> None:
        self.target = target
        self.hold = threading.Event()
        self.hold_seconds = hold_seconds
        self.connections = 0
        self.path = str(Path(tempfile.mkdtemp(prefix="msp-proxy-")) / "clamd.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            first = self.connections == 1
            threading.Thread(target=self._relay, args=(client, first), daemon=True).start()

    def _relay(self, client: socket.socket, first: bool) -> None:
        if first:
            self.hold.wait(self.hold_seconds)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.target)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for end in (src, dst):
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        pump(upstream, client)

    def close(self) -> None:
        self.hold.set()
        self.server.close()


@pytest.fixture
def slow_scanner(clamd_server: str) -> Iterator[SlowFirstScanProxy]:
    proxy = SlowFirstScanProxy(clamd_server, hold_seconds=60)
    yield proxy
    proxy.close()


@pytest.fixture
def ingest_worker(
    transactional_db: None, clamd_server: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Worker]:
    """A worker consuming a private queue to which the documents tasks are routed.

    The worker shares the test process's scanner, master keys and storage.
    """
    monkeypatch.setenv("MESSPACE_CLAMAV_SOCKET", clamd_server)
    worker = _start_worker(monkeypatch, settings)
    try:
        yield worker
    finally:
        _stop_worker(worker)


_ROUTING: dict[str, Any] = {}


def _start_worker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Worker:
    """A worker on a private queue to which this process routes the documents tasks;
    its broker visibility timeout and claim timeout are short, so that a killed
    task comes back within seconds."""
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    monkeypatch.setenv("MESSPACE_INGEST_CLAIM_SECONDS", "2")
    settings.MESSPACE_CLAMAV_SOCKET = os.environ["MESSPACE_CLAMAV_SOCKET"]
    worker = Worker(queue=f"test-ingest-{os.getpid()}-{dt.datetime.now().timestamp():.0f}")
    _ROUTING["eager"] = celery_app.conf.task_always_eager
    _ROUTING["routes"] = celery_app.conf.task_routes
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_routes = {"documents.tasks.*": {"queue": worker.queue}}
    _reset_router()
    worker.start()
    return worker


def _stop_worker(worker: Worker) -> None:
    worker.stop()
    celery_app.conf.task_always_eager = _ROUTING["eager"]
    celery_app.conf.task_routes = _ROUTING["routes"]
    _reset_router()


def _reset_router() -> None:
    # Celery caches both the routing table and the router built from it.
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


def _deposit(patient: Patient, content: bytes, title: str) -> Upload:
    deposit = services.document_deposit(
        access=own_record_access(patient.user),  # type: ignore[arg-type]
        content=content,
        filename=f"{title}.pdf",
        declared_mime="application/pdf",
        doc_type="EXPPAT_2",
        title=title,
        act_date=dt.date(2024, 5, 2),
    )
    return deposit.upload


def test_a_deposit_goes_through_the_worker_to_a_visible_document(ingest_worker: Worker) -> None:
    alice = PatientUserFactory()

    upload = _deposit(alice, pdf_bytes("Compte rendu"), "Compte rendu")

    wait_until(
        lambda: Upload.objects.get(pk=upload.pk).state == UploadState.DONE,
        timeout=60,
        what="the upload to be ingested",
    )
    access = own_record_access(alice.user)  # type: ignore[arg-type]
    assert [d.title for d in access.documents()] == ["Compte rendu"]


def test_worker_killed_mid_ingestion_processes_the_upload_exactly_once(
    slow_scanner: SlowFirstScanProxy,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    transactional_db: None,
    clamd_server: str,
) -> None:
    """GIVEN an ingestion held in its malware scan (the scanner is slow once) WHEN the
    worker is SIGKILLed while the upload is being processed and a new worker starts
    THEN the message comes back and the upload becomes exactly one document."""
    monkeypatch.setenv("MESSPACE_CLAMAV_SOCKET", slow_scanner.path)
    worker = _start_worker(monkeypatch, settings)
    alice = PatientUserFactory()

    upload = _deposit(alice, pdf_bytes("Dossier long"), "Dossier long")
    wait_until(
        lambda: (
            slow_scanner.connections == 1
            and Upload.objects.get(pk=upload.pk).state == UploadState.PROCESSING
        ),
        timeout=60,
        what="the worker to claim the upload and start its scan",
    )
    ingest_worker = worker
    assert ingest_worker.proc is not None
    os.kill(ingest_worker.proc.pid, signal.SIGKILL)
    ingest_worker.proc.wait()
    assert Upload.objects.get(pk=upload.pk).state == UploadState.PROCESSING
    assert not Document.objects.filter(upload=upload).exists()

    # The broker hands an unacknowledged message back at a worker's start once it
    # is older than the visibility timeout (3 s here).
    time.sleep(3.5)
    try:
        ingest_worker.start()

        wait_until(
            lambda: Upload.objects.get(pk=upload.pk).state == UploadState.DONE,
            timeout=90,
            what="the upload to be ingested after the restart",
        )
    finally:
        _stop_worker(ingest_worker)
    assert Document.objects.filter(upload=upload).count() == 1
    assert Upload.objects.get(pk=upload.pk).attempts == 2
    assert slow_scanner.connections == 2
