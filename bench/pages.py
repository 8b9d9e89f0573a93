"""Page benchmark: the patient's dashboard and timeline on a 2,000-entry record.

Usage (PostgreSQL required; ``make bench`` passes these)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/messpace \\
    REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=bench-secret \\
    python bench/pages.py [--requests 200] [--entries 2000] [--neighbours 0]

The script creates its own database (``<DATABASE_NAME>_bench``, dropped at the
end), fills one patient's record with entries across every section, writes
their timeline rows through ``records.services.timeline_rebuild``, then sends
each page ``--requests`` times through Django's test client, logged in as the
patient, with the production middleware stack (sessions in Redis and the
database, CSP, axes, OTP). Beside the pages it measures a bare view returning
``HttpResponse("ok")`` through the same stack, so the ratio isolates what the
page itself costs. Times are server times in the process (no network, no
browser); query counts are taken on separate requests so that recording the
queries does not slow the timed ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
if not os.environ.get("DATABASE_URL"):
    sys.exit(
        "bench/pages.py needs DATABASE_URL (PostgreSQL), e.g. postgres://postgres@127.0.0.1/messpace"
    )
os.environ.setdefault("SECRET_KEY", "bench-secret-not-for-production")
# Benchmarks run with production settings, which require the document keys.
os.environ.setdefault("MESSPACE_MASTER_KEYS", "b1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=")
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "YmVuY2gtc2VhcmNoLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
)

import django

django.setup()
# Known and harmless here: no collectstatic output (STATIC_ROOT), django-dsfr's notice.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
warnings.filterwarnings("ignore", message="Transitional Django setting", category=UserWarning)

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.test.utils import (
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import include, path
from django.utils import timezone

from records import services
from records.models import (
    Allergy,
    AllergyKind,
    AuthorKind,
    Condition,
    Entry,
    FamilyHistory,
    Habit,
    HabitKind,
    Handicap,
    HandicapKind,
    Hospitalisation,
    Measure,
    MeasureKind,
    Patient,
    Relative,
    Severity,
    TimelineEvent,
    Treatment,
    Vaccination,
)
from tests.factories import PatientUserFactory

WARMUP = 10


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# This module is the URLconf during the run: the project's URLs plus the bare view.
urlpatterns = [path("bench/bare/", bare), path("", include("messpace.urls"))]

# Share of the record per section; measures dominate, as in real records.
SHARES = {
    "measure": 0.70,
    "treatment": 0.075,
    "vaccination": 0.06,
    "condition": 0.05,
    "handicap": 0.04,
    "hospitalisation": 0.02,
    "family": 0.02,
    "habit": 0.02,
    "allergy": 0.015,
}


def _entries(patient: Patient, section: str, count: int, rng: random.Random) -> list[Entry]:
    today = timezone.localdate()

    def day(i: int) -> dt.date:
        return today - dt.timedelta(days=1 + (i * 3653) // max(count, 1))

    common = {"patient": patient, "author_kind": AuthorKind.IMPORT}
    out: list[Entry] = []
    for i in range(count):
        d = day(i)
        if section == "measure":
            kind = (MeasureKind.WEIGHT, MeasureKind.BLOOD_PRESSURE, MeasureKind.BLOOD_GLUCOSE,
                    MeasureKind.HEART_RATE)[i % 4]  # fmt: skip
            value, value2 = {
                MeasureKind.WEIGHT: (Decimal(f"{80 + rng.gauss(0, 2):.1f}"), None),
                MeasureKind.BLOOD_PRESSURE: (Decimal(130 + rng.randint(-10, 10)), Decimal(80)),
                MeasureKind.BLOOD_GLUCOSE: (Decimal(f"{1.2 + rng.gauss(0, 0.1):.2f}"), None),
                MeasureKind.HEART_RATE: (Decimal(70 + rng.randint(-8, 8)), None),
            }[kind]
            when = timezone.make_aware(dt.datetime.combine(d, dt.time(8, i % 60)))
            out.append(Measure(kind=kind, value=value, value2=value2, measured_at=when, **common))
        elif section == "treatment":
            out.append(
                Treatment(medicine=f"Médicament {i}", dose="1 comprimé", start_date=d, **common)
            )
        elif section == "vaccination":
            out.append(
                Vaccination(vaccine=f"Vaccin {i}", target_disease="Grippe", date=d, **common)
            )
        elif section == "condition":
            out.append(Condition(label=f"Maladie {i}", icd10_code="I10", start_date=d, **common))
        elif section == "handicap":
            out.append(Handicap(kind=HandicapKind.MOTOR, label=f"Handicap {i}", since=d, **common))
        elif section == "hospitalisation":
            out.append(
                Hospitalisation(place="CH", admission_date=d, reason=f"Séjour {i}", **common)
            )
        elif section == "family":
            out.append(FamilyHistory(relative=Relative.MOTHER, condition=f"Maladie {i}", **common))
        elif section == "habit":
            out.append(Habit(kind=HabitKind.ACTIVITY, description=f"Sport {i}", since=d, **common))
        elif section == "allergy":
            out.append(Allergy(kind=AllergyKind.ALLERGY, substance=f"Substance {i}",
                               severity=Severity.MILD, since=d, **common))  # fmt: skip
    return out


def fill_record(patient: Patient, total: int, rng: random.Random) -> int:
    """Bulk-insert ``total`` entries, then write their timeline rows through the service."""
    counts = {s: int(total * share) for s, share in SHARES.items()}
    counts["measure"] += total - sum(counts.values())
    for section, count in counts.items():
        entries = _entries(patient, section, count, rng)
        type(entries[0]).objects.bulk_create(entries, batch_size=500)
    return services.timeline_rebuild(patient_id=patient.pk)


@dataclass
class Row:
    label: str
    median_ms: float
    p95_ms: float
    queries: str


def measure(client: Client, pages: list[tuple[str, str]], requests: int) -> list[Row]:
    """Time every page in rounds (one request each per round), then count queries.

    Interleaving keeps the pages under the same conditions: a load spike on the
    machine slows all of them, not only the one being measured at that moment.
    """
    for _label, url in pages:
        for _ in range(WARMUP):
            response = client.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)
    timings: dict[str, list[float]] = {url: [] for _label, url in pages}
    for _ in range(requests):
        for _label, url in pages:
            start = time.perf_counter()
            client.get(url, secure=True)
            timings[url].append((time.perf_counter() - start) * 1000)
    rows = []
    for label, url in pages:
        counts = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, secure=True)
            counts.append(len(ctx.captured_queries))
        low, high = min(counts), max(counts)
        queries = str(low) if low == high else f"{low}-{high}"
        p95 = statistics.quantiles(timings[url], n=20)[18]
        rows.append(Row(label, statistics.median(timings[url]), p95, queries))
    return rows


def run(args: argparse.Namespace) -> None:
    rng = random.Random(2026)
    patient = PatientUserFactory(given_names="Bench", birth_names="PATIENT")
    assert patient.user is not None
    written = fill_record(patient, args.entries, rng)
    for n in range(args.neighbours):
        fill_record(PatientUserFactory(given_names=f"Voisin{n}"), args.entries, rng)
    assert TimelineEvent.objects.filter(patient=patient).count() == written == args.entries

    client = Client()
    client.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")
    per_page = 25
    last_page = math.ceil(args.entries / per_page)
    pages = [
        ("bare view (same middleware)", "/bench/bare/"),
        ("dashboard /espace/", "/espace/"),
        ("timeline /espace/histoire/", "/espace/histoire/"),
        (f"timeline, page {last_page}", f"/espace/histoire/?page={last_page}"),
        ("measures /espace/mesures/ (charts)", "/espace/mesures/"),
    ]
    rows = measure(client, pages, args.requests)

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print()
    print(
        f"messpace page benchmark — PostgreSQL {pg_version}, Django {django.get_version()}, "
        f"Python {platform.python_version()}, {platform.machine()} × {os.cpu_count()} CPU"
    )
    print(
        f"record: {args.entries} entries in 9 sections, {written} timeline rows"
        f"{f'; {args.neighbours} other records of the same size' if args.neighbours else ''}; "
        f"{args.requests} requests per page, interleaved, after {WARMUP} warm-up"
    )
    print()
    width = max(len(r.label) for r in rows)
    print(f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>7}  {'queries':>7}")
    for r in rows:
        print(f"{r.label:<{width}}  {r.median_ms:>9.1f}  {r.p95_ms:>7.1f}  {r.queries:>7}")
    print()
    bare_median = rows[0].median_ms
    print("ratio (page median / bare median):")
    for r in rows[1:]:
        print(f"  {r.label:<{width}}  {r.median_ms / bare_median:>5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--neighbours", type=int, default=0, help="other records of that size")
    args = parser.parse_args()

    default = connection.settings_dict
    default["TEST"]["NAME"] = f"{default['NAME']}_bench"
    setup_test_environment(debug=False)
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        with override_settings(
            ROOT_URLCONF=__name__,
            # No collectstatic here: serve static URLs unhashed, as in development.
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ):
            run(args)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
