"""Policy benchmark: what reading a record through ``consent.policy`` costs.

Usage (PostgreSQL required)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/messpace \\
    REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=bench-secret \\
    python bench/policy.py [--iterations 200] [--entries 2000] [--grants 50] [--hidden 200]

The script creates its own database (``<DATABASE_NAME>_bench_policy``, dropped
at the end) and builds one patient's record of ``--entries`` entries across
every section (the mix of ``bench/pages.py``, a tenth of the conditions coded
in ICD-10 chapter F), ``--hidden`` of them hidden from professionals, with
their timeline rows written by ``records.services.timeline_rebuild``. A general
practitioner holds ``--grants`` whole-record shares, the target patient's among
them (the others from patients with a 100-entry record each).

Each iteration lists every section of the record and the timeline's first
page (25 rows), evaluated, three ways in the same run and interleaved:

- without the policy: ``Model.objects.filter(patient=...)`` directly;
- through the policy, the ``RecordAccess`` already established: ``access.entries``
  and ``access.timeline()``;
- through the policy including ``professional_record_access`` (what a request pays).

It prints median and 95th percentile per way, then the ratios, the overall one last.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
if not os.environ.get("DATABASE_URL"):
    sys.exit(
        "bench/policy.py needs DATABASE_URL (PostgreSQL), e.g. postgres://postgres@127.0.0.1/messpace"
    )
os.environ.setdefault("SECRET_KEY", "bench-secret-not-for-production")
# Benchmarks run with production settings, which require the document keys.
os.environ.setdefault("MESSPACE_MASTER_KEYS", "b1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=")
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "YmVuY2gtc2VhcmNoLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
)

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
warnings.filterwarnings("ignore", message="Transitional Django setting", category=UserWarning)

from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

from bench.pages import fill_record
from consent.models import Share
from consent.policy import RecordAccess, professional_record_access
from messpace.accounts.models import User
from records import services
from records.models import SECTION_MODELS, Condition, Patient, TimelineEvent
from tests.factories import PatientFactory, PatientUserFactory, ProfessionalFactory

WARMUP = 10
TIMELINE_PAGE = 25


def hide(patient: Patient, count: int, rng: random.Random) -> None:
    """Hide ``count`` entries drawn across sections, F-code some conditions, then
    rebuild the timeline so that its mirrors agree."""
    conditions = list(Condition.objects.filter(patient=patient).values_list("pk", flat=True))
    Condition.objects.filter(pk__in=conditions[::10]).update(icd10_code="F32.1")
    pool = [
        (model, pk)
        for model in SECTION_MODELS.values()
        for pk in model.objects.filter(patient=patient).values_list("pk", flat=True)
    ]
    for model, pk in rng.sample(pool, count):
        model.objects.filter(pk=pk).update(hidden_from_professionals=True)
    services.timeline_rebuild(patient_id=patient.pk)


def without_policy(patient: Patient) -> int:
    n = 0
    for model in SECTION_MODELS.values():
        n += len(list(model.objects.filter(patient=patient)))
    n += len(
        list(
            TimelineEvent.objects.filter(patient=patient, deleted=False).order_by(
                "-occurred_at", "-id"
            )[:TIMELINE_PAGE]
        )
    )
    return n


def with_access(access: RecordAccess) -> int:
    n = 0
    for model in SECTION_MODELS.values():
        n += len(list(access.entries(model)))
    n += len(list(access.timeline().order_by("-occurred_at", "-id")[:TIMELINE_PAGE]))
    return n


def timed(fn: Callable[[], int]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run(args: argparse.Namespace) -> None:
    rng = random.Random(2026)
    patient = PatientUserFactory(given_names="Bench", birth_names="PATIENT")
    fill_record(patient, args.entries, rng)
    hide(patient, args.hidden, rng)
    pro = ProfessionalFactory(profession="generaliste")
    user: User = pro.user
    Share.objects.create(patient=patient, professional=pro)
    for _ in range(args.grants - 1):
        other = PatientFactory()
        fill_record(other, 100, rng)  # the smallest size with every section
        Share.objects.create(patient=other, professional=pro)

    access = professional_record_access(user, patient.pk)
    assert access.basis == "share" and not access.sees_hidden
    listed = with_access(access)
    everything = without_policy(patient)

    ways: dict[str, Callable[[], int]] = {
        "no policy (Model.objects.filter)": lambda: without_policy(patient),
        "policy, access established": lambda: with_access(access),
        "policy incl. professional_record_access": lambda: with_access(
            professional_record_access(user, patient.pk)
        ),
    }
    for fn in ways.values():
        for _ in range(WARMUP):
            fn()
    timings: dict[str, list[float]] = {label: [] for label in ways}
    for _ in range(args.iterations):
        for label, fn in ways.items():
            timings[label].append(timed(fn))

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print()
    print(
        f"messpace policy benchmark — PostgreSQL {pg_version}, Django {django.get_version()}, "
        f"Python {platform.python_version()}, {platform.machine()} × {os.cpu_count()} CPU"
    )
    print(
        f"record: {args.entries} entries in 9 sections, {args.hidden} hidden; professional "
        f"with {args.grants} whole-record shares; rows read: {everything} without the policy, "
        f"{listed} through it; {args.iterations} iterations, interleaved, after {WARMUP} warm-up"
    )
    print()
    width = max(len(label) for label in ways)
    print(f"{'listing every section + timeline page 1':<{width}}  {'median ms':>9}  {'p95 ms':>7}")
    medians = {}
    for label, values in timings.items():
        medians[label] = statistics.median(values)
        p95 = statistics.quantiles(values, n=20)[18]
        print(f"{label:<{width}}  {medians[label]:>9.2f}  {p95:>7.2f}")
    base, established, full = medians.values()
    print()
    print(f"ratio policy (access established) / no policy: {established / base:.2f}")
    print(f"RATIO policy (incl. access check) / no policy: {full / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--grants", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=200)
    args = parser.parse_args()

    default = connection.settings_dict
    default["TEST"]["NAME"] = f"{default['NAME']}_bench_policy"
    setup_test_environment(debug=False)
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        run(args)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
