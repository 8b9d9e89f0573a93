"""Cohort import benchmark: CSV lines per second through ``cohort_import_run``.

Usage (PostgreSQL required; Redis is not used)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/messpace SECRET_KEY=bench-secret \\
    python bench/cohorts.py [--rows 20000] [--profile]

The script creates its own database (``<DATABASE_NAME>_bench_cohorts``,
dropped at the end) and a temporary media directory for the encrypted file.
It writes a synthetic CSV of ``--rows`` lines, seeded so that every run gets
the same file on a given day: valid NIRs whose keys agree with the sex, birth
year and month (``tests.factories.make_nir``), about a fifth of minors,
most of them with one or two guardians' NIRs (the guardians often adults of
the same file, sometimes in the same chunk), half with an email, a third with
a mobile number, 0.5 % of invalid lines (wrong key, impossible date, markup,
short postcode, NIR inconsistent with the sex) and 0.2 % of repeated lines.

The file goes through ``consent.optout.services.cohorts.cohort_import_start`` (its
Celery message is not sent), then ``cohort_import_run`` is called in this
process and timed: wall clock, this process's CPU and the CPU of the
PostgreSQL backend serving it (read from ``/proc``, the server being local).
The same file is then imported a second time (every person already known:
idempotence) and timed the same way. It prints both rates, the queries per
1,000 lines, the counters, a check that the rows written agree with them, and
a digest of every row written (patients, records, transitions, members,
guardians to inform, reported lines; ids and timestamps left out) so that two
versions of the import can be compared on the same file, and the process's
peak resident memory. ``--profile`` runs
the first import under cProfile and prints the functions costing most.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import os
import platform
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
if not os.environ.get("DATABASE_URL"):
    sys.exit(
        "bench/cohorts.py needs DATABASE_URL (PostgreSQL), "
        "e.g. postgres://postgres@127.0.0.1/messpace"
    )
os.environ.setdefault("SECRET_KEY", "bench-secret-not-for-production")
# Benchmarks run with production settings, which require the document keys.
os.environ.setdefault("MESSPACE_MASTER_KEYS", "b1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=")
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "YmVuY2gtc2VhcmNoLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
)
BENCH_MEDIA = Path(tempfile.mkdtemp(prefix="messpace-bench-cohorts-"))
os.environ["MEDIA_ROOT"] = str(BENCH_MEDIA)

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
from django.utils import timezone

from consent.optout.models import CohortImportError, CohortMember, GuardianToInform
from consent.optout.services import cohorts as cohort_services
from records.lifecycle.models import Record, RecordTransition
from records.models import Patient
from tests.factories import UserFactory, make_nir

HEADER = [
    "nir",
    "nom_naissance",
    "nom_usage",
    "prenoms",
    "date_naissance",
    "sexe",
    "adresse1",
    "adresse2",
    "code_postal",
    "ville",
    "pays",
    "courriel",
    "telephone",
    "nir_representant_1",
    "nir_representant_2",
]
GIVEN_F = ["Camille", "Léa", "Chloé", "Inès", "Zoé", "Manon", "Jade", "Louise", "Hélène"]
GIVEN_M = ["Lucas", "Hugo", "Gabriel", "Louis", "Noah", "Jules", "Adam", "Raphaël", "Éric"]
FAMILY = ["MOREAU", "PETIT", "DURAND", "LEFÈVRE", "GARCIA", "FAURE", "ROUSSEAU", "N'DIAYE"]
STREETS = ["rue de la République", "avenue Jean Jaurès", "place du Marché", "chemin des Vignes"]
CITIES = [("69007", "Lyon"), ("13001", "Marseille"), ("42000", "Saint-Étienne"), ("29200", "Brest")]


def make_rows(count: int, today: dt.date, seed: int = 2026) -> list[dict[str, str]]:
    """``count`` CSV lines as dicts (see the module's docstring for the mix)."""
    rng = random.Random(seed)
    used: set[str] = set()
    adults: list[str] = []
    rows: list[dict[str, str]] = []

    def new_nir(sex: str, birth: dt.date) -> str:
        while True:
            nir = make_nir(sex=sex, birth_date=birth, rng=rng)
            if nir not in used:
                used.add(nir)
                return nir

    for i in range(count):
        if rows and rng.random() < 0.002:  # a repeated line, maybe from an earlier chunk
            rows.append(dict(rng.choice(rows[-3000:])))
            continue
        minor = rng.random() < 0.2
        age_days = rng.randint(30, 17 * 365) if minor else rng.randint(19 * 365, 95 * 365)
        birth = today - dt.timedelta(days=age_days)
        sex = rng.choice("FM")
        nir = new_nir(sex, birth)
        family = rng.choice(FAMILY)
        postcode, city = rng.choice(CITIES)
        row = {
            "nir": nir if i % 3 else f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:10]} {nir[10:]}",
            "nom_naissance": family,
            "nom_usage": rng.choice(FAMILY) if rng.random() < 0.15 else "",
            "prenoms": " ".join(rng.sample(GIVEN_F if sex == "F" else GIVEN_M, 2)),
            "date_naissance": birth.strftime("%d/%m/%Y" if i % 2 else "%Y-%m-%d"),
            "sexe": sex,
            "adresse1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "adresse2": "Résidence Les Tilleuls, escalier B" if rng.random() < 0.3 else "",
            "code_postal": postcode,
            "ville": city,
            "pays": "FR" if rng.random() < 0.5 else "",
            "courriel": f"personne{i}@exemple.fr" if rng.random() < 0.5 else "",
            "telephone": (
                f"06 {rng.randint(40, 89)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)}"
                if rng.random() < 0.33
                else ""
            ),
        }
        if minor and rng.random() < 0.9:
            for column in ("nir_representant_1", "nir_representant_2")[: rng.randint(1, 2)]:
                if adults and rng.random() < 0.7:
                    guardian = rng.choice(adults[-1500:])  # often in the same chunk
                else:
                    guardian = new_nir(rng.choice("FM"), today - dt.timedelta(days=40 * 365))
                if guardian != row.get("nir_representant_1"):
                    row[column] = guardian
        elif not minor:
            adults.append(nir)
        if rng.random() < 0.005:  # an invalid line, one kind of fault each
            fault = rng.randrange(5)
            if fault == 0:
                row["nir"] = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
            elif fault == 1:
                row["date_naissance"] = "31/02/1985"
            elif fault == 2:
                row["ville"] = "<script>alert(1)</script>"
            elif fault == 3:
                row["code_postal"] = "750"
            else:
                row["sexe"] = "M" if sex == "F" else "F"
        rows.append(row)
    return rows


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    lines = [";".join(HEADER)]
    lines += [";".join(row.get(name, "") for name in HEADER) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def backend_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of this connection, if local."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def timed_import(import_id: int, profile: bool) -> dict[str, float]:
    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    pg_before = backend_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        cohort_services.cohort_import_run(import_id=import_id)
        if profiler is not None:
            profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pg_after = backend_cpu()
    if profiler is not None:
        print()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    return {
        "wall": wall,
        "cpu": cpu,
        "pg": (pg_after - pg_before) if pg_before is not None and pg_after is not None else -1,
        "queries": counter.count,
    }


def digest() -> str:
    """A digest of every row the imports wrote, without ids or timestamps."""
    patient_fields = [
        f.attname
        for f in Patient._meta.concrete_fields
        if f.attname not in ("id", "created_at", "user_id")
    ]
    tables: list[Any] = [
        Patient.objects.order_by("nir").values_list(*patient_fields),
        Record.objects.order_by("patient__nir").values_list("patient__nir", "state"),
        RecordTransition.objects.order_by("record__patient__nir", "at", "id").values_list(
            "record__patient__nir", "from_state", "to_state", "by_id", "reason"
        ),
        CohortMember.objects.order_by("cohort_import_id", "patient__nir").values_list(
            "cohort_import_id", "patient__nir", "created"
        ),
        GuardianToInform.objects.order_by("patient__nir", "guardian_nir").values_list(
            "patient__nir", "guardian_nir", "cohort_import_id"
        ),
        CohortImportError.objects.order_by("cohort_import_id", "line").values_list(
            "cohort_import_id", "line", "nir_masked", "message"
        ),
    ]
    h = hashlib.sha256()
    for rows in tables:
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()[:16]


def run(args: argparse.Namespace) -> None:
    # The Celery message is not sent: the import runs below, in this process, timed.
    cohort_services._enqueue = lambda import_id: None  # type: ignore[assignment]
    admin = UserFactory(email="admin@exemple.fr", is_staff=True, is_superuser=True)
    today = timezone.localdate()
    rows = make_rows(args.rows, today)
    content = csv_bytes(rows)

    results = []
    for label in ("first import", "re-import (same file)"):
        start = time.perf_counter()
        cohort_import = cohort_services.cohort_import_start(
            by=admin, filename="bench.csv", content=content
        )
        start = time.perf_counter() - start
        figures = timed_import(cohort_import.pk, profile=args.profile and not results)
        cohort_import.refresh_from_db()
        results.append((label, cohort_import, figures, start))

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print()
    print(
        f"messpace cohort import benchmark — PostgreSQL {pg_version}, Django "
        f"{django.get_version()}, Python {platform.python_version()}, {platform.machine()} × "
        f"{os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"file: {args.rows} lines, {len(content) / 1024 / 1024:.1f} MB, chunks of "
        f"{cohort_services.chunk_rows()} lines"
    )
    print()
    print(
        f"{'run':<22} {'start s':>7} {'run s':>7} {'CPU s':>6} {'PG CPU s':>8} "
        f"{'lines/s':>8} {'/CPU s':>8} {'queries/1000':>12}  created unchanged dup errors"
    )
    for label, ci, fig, start in results:
        n = ci.total_rows
        print(
            f"{label:<22} {start:>7.2f} {fig['wall']:>7.2f} {fig['cpu']:>6.2f} {fig['pg']:>8.2f} "
            f"{n / fig['wall']:>8.0f} {n / fig['cpu']:>8.0f} "
            f"{fig['queries'] * 1000 / n:>12.1f}  {ci.created_count:>7} {ci.unchanged_count:>9} "
            f"{ci.duplicate_count:>3} {ci.error_count:>6}"
        )
    first, again = results[0][1], results[1][1]
    patients = Patient.objects.count()
    consistent = (
        first.state == again.state == "done"
        and patients == first.created_count
        and Record.objects.count() == patients
        and RecordTransition.objects.count() == patients
        and again.created_count == 0
        and again.unchanged_count == first.created_count
        and CohortMember.objects.filter(cohort_import=first).count() == first.created_count
        and CohortMember.objects.filter(cohort_import=again).count() == again.unchanged_count
    )
    print()
    print(
        f"rows: {patients} patients, {Record.objects.count()} records, "
        f"{RecordTransition.objects.count()} transitions, {CohortMember.objects.count()} members, "
        f"{GuardianToInform.objects.count()} guardians to inform, "
        f"{CohortImportError.objects.count()} reported lines; consistent with the counters: "
        f"{'yes' if consistent else 'NO'}"
    )
    print(f"digest of the rows written (compare between versions): {digest()}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"peak resident memory of this process: {peak_mib:.0f} MiB")
    label, ci, fig, _start = results[0]
    print(f"RATE first import: {ci.total_rows / fig['wall']:.0f} lines/s (wall)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the first import")
    args = parser.parse_args()

    default = connection.settings_dict
    default["TEST"]["NAME"] = f"{default['NAME']}_bench_cohorts"
    setup_test_environment(debug=False)
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        run(args)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        shutil.rmtree(BENCH_MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
