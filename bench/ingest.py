"""Ingestion benchmark: documents per second through a real Celery worker.

Usage (PostgreSQL, Redis and Debian's clamav-daemon required)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/messpace \\
    REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=bench-secret \\
    python bench/ingest.py [--documents 300] [--mix pdf] [--concurrency 1]

The script creates its own database (``<DATABASE_NAME>_bench_ingest``, dropped
at the end), starts its own clamd (EICAR-only signature database, as the test
suite does) and one Celery worker process (``--concurrency`` prefork children)
on a private queue, deposits ``--documents`` synthetic documents through
``documents.services.document_deposit`` (encrypted, stored, queued) and times
how long the worker takes to ingest them all: sniffing, limits, malware scan,
parsing, text and preview, encryption, the Document row, the timeline event
and the search index.

``--mix pdf`` sends only 100 KB PDFs (the target: at least 50 documents per
second per worker core); ``--mix all`` a third each of 100 KB PDFs, the ANS
sample CDA (vaccination note) and 800×600 JPEG photos.

Beside it, in the same run, the raw baseline: for each document, encrypt its
bytes (AES-256-GCM under a fresh data key) and INSERT one row, in this process.
It prints both rates, documents per second per core, where the worker's time
goes (the pipeline's steps timed in this process on the same documents, and
the task run time the worker logs), and the ratio last. With
``BENCH_PYSPY=/path/to/py-spy`` it also records 8 s of the worker's stacks to
``/tmp/worker-profile.txt`` (py-spy's raw format).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    sys.exit("bench/ingest.py needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis).")
os.environ.setdefault("SECRET_KEY", "bench-secret-not-for-production")
os.environ.setdefault(
    "MESSPACE_MASTER_KEYS", "b1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY="
)
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "YmVuY2gtc2VhcmNoLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
)
BENCH_MEDIA = Path(tempfile.mkdtemp(prefix="messpace-bench-media-"))
os.environ["MEDIA_ROOT"] = str(BENCH_MEDIA)
CLAMD_DIR = Path(tempfile.mkdtemp(prefix="messpace-bench-clamd-"))
os.environ["MESSPACE_CLAMAV_SOCKET"] = str(CLAMD_DIR / "clamd.sock")

import django

django.setup()
warnings.filterwarnings("ignore", category=UserWarning)

from django.conf import settings
from django.db import connection
from django.test.utils import setup_databases, teardown_databases
from PIL import Image

from consent.policy import own_record_access
from documents import services
from documents.ingestion.limits import Limits, check_limits
from documents.ingestion.parse import parse
from documents.ingestion.sniff import sniff
from documents.models import Upload, UploadState
from documents.scanning import scan_bytes
from messpace import vault
from tests.documents.conftest import CLAMD_CONF, _write_database
from tests.factories import PatientUserFactory

SAMPLE_CDA = Path("/work/shared/samples/cda/VAC-NOTE_2023.01.xml")
FIXTURE_CDA = ROOT / "tests" / "documents" / "fixtures" / "VAC-NOTE_2023.01.xml"


def make_pdf(i: int, size: int = 100 * 1024) -> bytes:
    """A PDF of about ``size`` bytes: three pages of text, and on the first a
    scanned-like grey image of random pixels (incompressible) making up the size."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ContentStream,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
    )

    writer = PdfWriter()
    side = 300
    pixels = os.urandom(max(size - 12 * 1024, side * side))
    height = len(pixels) // side
    image = DecodedStreamObject()
    image.set_data(pixels[: side * height])
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(side),
            NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/BitsPerComponent"): NumberObject(8),
        }
    )
    image_ref = writer._add_object(image)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for p in range(3):
        page = writer.add_blank_page(width=595, height=842)
        resources = {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        lines = "".join(
            f"BT /F1 10 Tf 50 {800 - 14 * n} Td (Document {i} page {p} ligne {n} "
            f"compte rendu de consultation hospitalisation biologie) Tj ET\n"
            for n in range(40)
        )
        if p == 0:
            resources[NameObject("/XObject")] = DictionaryObject({NameObject("/Im1"): image_ref})
            lines += f"q 200 0 0 {200 * height // side} 340 40 cm /Im1 Do Q\n"
        page[NameObject("/Resources")] = DictionaryObject(resources)
        stream = ContentStream(None, None)
        stream.set_data(lines.encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_jpeg(i: int) -> bytes:
    image = Image.effect_noise((800, 600), 40 + i % 20).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def corpus(n: int, mix: str) -> list[tuple[str, bytes, str]]:
    cda = (FIXTURE_CDA if FIXTURE_CDA.exists() else SAMPLE_CDA).read_bytes()
    docs = []
    for i in range(n):
        kind = "pdf" if mix == "pdf" else ("pdf", "cda", "jpeg")[i % 3]
        if kind == "pdf":
            docs.append((f"doc{i}.pdf", make_pdf(i), "application/pdf"))
        elif kind == "cda":
            # Unique bytes per document (deposits are deduplicated by content).
            docs.append((f"doc{i}.xml", cda + f"<!-- {i} -->".encode(), "text/xml"))
        else:
            docs.append((f"doc{i}.jpg", make_jpeg(i), "image/jpeg"))
    return docs


def start_clamd() -> subprocess.Popen[bytes]:
    database = CLAMD_DIR / "db"
    scratch = CLAMD_DIR / "tmp"
    scratch.mkdir()
    _write_database(shutil.which("sigtool") or "/usr/bin/sigtool", database)
    conf = CLAMD_DIR / "clamd.conf"
    conf.write_text(
        CLAMD_CONF.format(
            socket=CLAMD_DIR / "clamd.sock", database=database, scratch=scratch, workdir=CLAMD_DIR
        )
    )
    proc = subprocess.Popen(  # noqa: S603
        [shutil.which("clamd") or "/usr/sbin/clamd", "--config-file", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (CLAMD_DIR / "clamd.sock").exists():
        if time.monotonic() > deadline:
            sys.exit("clamd did not start")
        time.sleep(0.05)
    time.sleep(0.2)
    return proc


def start_worker(queue: str, concurrency: int) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }
    log = open(CLAMD_DIR / "worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "messpace",
            "worker",
            "-Q",
            queue,
            *(["--pool", "solo"] if concurrency == 1 else ["--concurrency", str(concurrency)]),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    time.sleep(3)
    return proc


def baseline(docs: list[tuple[str, bytes, str]], patient_id: int) -> float:
    """Encrypt under a fresh data key and INSERT one row per document; seconds."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE raw_blob (id uuid PRIMARY KEY, patient_id int, wrapped bytea, "
            "key_id text, body bytea)"
        )
        for _name, content, _mime in docs:
            object_id = uuid.uuid4()
            key = vault.new_data_key(owner=f"raw:{object_id}")
            body = vault.encrypt(key.key, content, aad=f"raw:{object_id}:original")
            cursor.execute(
                "INSERT INTO raw_blob VALUES (%s, %s, %s, %s, %s)",
                [object_id, patient_id, key.wrapped, key.key_id, body],
            )
    return time.perf_counter() - start


def steps_profile(docs: list[tuple[str, bytes, str]]) -> dict[str, float]:
    """Median milliseconds per pipeline step, in this process, on the same documents."""
    limits = Limits(max_bytes=settings.MESSPACE_DOCUMENT_MAX_BYTES)
    timings: dict[str, list[float]] = {}

    def timed(step: str, fn: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = fn()
        timings.setdefault(step, []).append((time.perf_counter() - start) * 1000)
        return result

    for _name, content, mime in docs[:60]:
        sniffed = timed("sniff", lambda c=content, m=mime: sniff(c, declared_mime=m))
        timed("limits", lambda c=content, s=sniffed: check_limits(c, s, limits))  # type: ignore[arg-type]
        timed("scan (clamd)", lambda c=content: scan_bytes(c))
        timed("parse, text, preview", lambda c=content, s=sniffed: parse(c, s, limits))  # type: ignore[arg-type]
        key = vault.new_data_key(owner="x")
        timed("encrypt", lambda c=content, k=key: vault.encrypt(k.key, c, aad="x"))
    return {step: statistics.median(values) for step, values in timings.items()}


def whole_pipeline(access: object, docs: list[tuple[str, bytes, str]]) -> float:
    """Median ms of ``upload_process`` in this process (claim to commit), on copies
    of some documents deposited for the purpose (their queued tasks find them done)."""

    times = []
    for i, (name, content, mime) in enumerate(docs):
        deposit = services.document_deposit(
            access=access,  # type: ignore[arg-type]
            content=content + f"%profil {i}\n".encode(),
            filename=name,
            declared_mime=mime,
            doc_type="EXPPAT_2",
            title=f"Profil {i}",
            act_date=dt.date(2024, 1, 1),
        )
        start = time.perf_counter()
        services.upload_process(upload_id=deposit.upload.pk)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--mix", choices=["pdf", "all"], default="pdf")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    clamd = start_clamd()
    old_config = setup_databases(
        verbosity=0, interactive=False, aliases=["default"], suffix="bench_ingest"
    )  # type: ignore[call-arg]
    worker = None
    try:
        docs = corpus(args.documents, args.mix)
        mean_kb = statistics.mean(len(c) for _n, c, _m in docs) / 1024
        # The patient the sample CDA names, so that its identity check passes.
        patient = PatientUserFactory(nir="279035121518989", birth_date=dt.date(1979, 3, 28))
        access = own_record_access(patient.user)
        queue = f"bench-ingest-{os.getpid()}"
        from messpace.celery import app

        app.conf.task_always_eager = False
        app.conf.task_routes = {"documents.tasks.*": {"queue": queue}}
        app.amqp.__dict__.pop("router", None)

        raw_seconds = baseline(docs, patient.pk)
        profile = steps_profile(docs)
        profile["whole upload_process"] = whole_pipeline(access, docs[:40])

        # Deposits first (stored encrypted and queued), then the worker starts:
        # the timing covers ingestion only, from the first task to the last document.

        for i, (name, content, mime) in enumerate(docs):
            services.document_deposit(
                access=access,
                content=content,
                filename=name,
                declared_mime=mime,
                doc_type="EXPPAT_2",
                title=f"Document {i}",
                act_date=dt.date(2024, 1, 1),
            )
        start = time.perf_counter()
        worker = start_worker(queue, args.concurrency)
        if os.environ.get("BENCH_PYSPY"):
            subprocess.Popen(  # noqa: S603
                [
                    os.environ["BENCH_PYSPY"],
                    "record",
                    "-o",
                    "/tmp/worker-profile.txt",  # noqa: S108 - a bench artefact
                    "-f",
                    "raw",
                    "-d",
                    "8",
                    "-p",
                    str(worker.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        while True:
            pending = Upload.objects.filter(
                state__in=[UploadState.RECEIVED, UploadState.PROCESSING]
            ).count()
            if pending == 0:
                break
            if time.perf_counter() - start > 900:
                sys.exit("timed out waiting for the worker")
            time.sleep(0.05)
        # From the worker's first claim to its last document: boot time excluded.
        from django.db.models import Max, Min

        span = Upload.objects.filter(title__startswith="Document ").aggregate(
            first=Min("claimed_at"), last=Max("processed_at")
        )
        elapsed = (span["last"] - span["first"]).total_seconds()
        quarantined = Upload.objects.filter(
            title__startswith="Document ", state=UploadState.QUARANTINED
        ).count()

        rate = args.documents / elapsed
        raw_rate = args.documents / raw_seconds
        cores = args.concurrency
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        print(
            f"documents: {args.documents} ({args.mix}), mean {mean_kb:.0f} KB; quarantined: {quarantined}"
        )
        print(f"worker processes: {cores}")
        print("median ms per step (in-process, same documents):")
        for step, ms in profile.items():
            print(f"  {step:<24} {ms:8.2f}")
        print(f"pipeline through the worker: {rate:8.1f} documents/s, {rate / cores:8.1f} per core")
        print(f"raw baseline (encrypt + INSERT): {raw_rate:8.1f} documents/s (one core)")
        print(f"ratio pipeline/raw per core: {rate / cores / raw_rate:.3f}")
        durations = [
            float(m)
            for m in re.findall(
                r"upload_process\[[^\]]+\] succeeded in ([0-9.]+)s",
                (CLAMD_DIR / "worker.log").read_text(errors="replace"),
            )
        ]
        if durations:
            print(
                f"task run time in the worker (median of {len(durations)}): "
                f"{statistics.median(durations) * 1000:.1f} ms"
            )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        connection.close()
        teardown_databases(old_config, verbosity=0)
        clamd.terminate()
        clamd.wait(timeout=10)
        shutil.rmtree(CLAMD_DIR, ignore_errors=True)
        shutil.rmtree(BENCH_MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
