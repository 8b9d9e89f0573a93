"""A real Celery worker on Redis, against the test database.

The worker runs in a subprocess with the same settings as the tests and the
test database's name, consuming a queue private to this test session so that
concurrent runs sharing the Redis server never steal each other's tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from messpace.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


class Worker:
    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(f"/tmp/messpace-worker-{queue}.log")  # noqa: S108

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
        }
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "messpace",
                "worker",
                "-Q",
                self.queue,
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "-n",
                f"{self.queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()}")
            if "ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Worker]:
    """Start a real worker; tasks sent while the fixture lives go through Redis."""
    worker = Worker(queue=f"test-{uuid.uuid4().hex[:12]}")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = previous


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


# The ingestion tests of this folder scan with the documents tests' real clamd.
from tests.documents.conftest import clamd_server  # noqa: E402, F401
