"""Directory benchmark: the national extract imported through a real Celery worker,
then searched.

Usage (PostgreSQL and Redis required)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/messpace \\
    REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=bench-secret \\
    python bench/directory.py [--rows 2000000] [--queries 400] [--profile]

The script creates its own database (``<DATABASE_NAME>_bench_directory``,
migrated, dropped at the end; ``--keep`` leaves it) and a temporary media
directory. It writes to a temporary file, line by line, an extract of
``--rows`` lines in the published "personne activité" format (the 52 columns
of the ANS header, ``|``-separated, UTF-8), seeded so that every run gets the
same file:

- French-looking names drawn from a few hundred family names and given names
  (commonest first, as in the population), 4 % of compound family names;
- the mix of professions of the directory (nurses, doctors with their
  specialties, physiotherapists, pharmacists, dentists, midwives, speech
  therapists, podiatrists, opticians, dietitians…);
- about 1.3 lines per professional (some practise at 2 or 3 places), their
  lines consecutive and by RPPS as in the published file; 2 % of lines
  without a place of practice;
- structures shared as they are: hospitals and clinics with hundreds of
  staff, pharmacies with a few pharmacists, laboratories, group practices of
  two to a dozen, individual practices;
- about 35,000 towns with their postcodes, the big cities (and their
  arrondissements) weighing most;
- 0.5 % of ADELI lines and 0.1 % of invalid ones (wrong RPPS check digit,
  no name, no profession code).

The file is given to ``directory_import_start`` (stored, lines counted, the
task queued after commit), and a real ``celery -A messpace worker`` started
by this script (``--pool solo``, concurrency 1, prefetch 1, its own queue,
pointed at the bench database and Redis) runs ``directory_import_run``. It
prints the import's time (the task's ``started_at`` to ``finished_at``), the
worker process's CPU time (``/proc/<pid>/stat``), and the CPU of the
PostgreSQL backends serving the bench database (the worker's and the
autovacuum's, the server being local), then checks the counters against the
rows written.

Then the search: ``--queries`` realistic queries (a family-name prefix of 3
to 6 letters alone, a name and a town, a name and a profession, a full name,
drawn from professionals of the file), each timed as ``list(listings_search(q))``
in this process after a warm-up, with p50 and p95 per kind and overall.

The last line is ``RATE import: N lines/s per worker core`` (lines of the
file over the task's run time, one single-threaded worker).

``--profile`` skips the worker: it imports the file in this process under
cProfile (use a smaller ``--rows``) and prints the functions costing most.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    sys.exit("bench/directory.py needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis).")
os.environ.setdefault("SECRET_KEY", "bench-secret-not-for-production")
# Benchmarks run with production settings, which require the document keys.
os.environ.setdefault("MESSPACE_MASTER_KEYS", "b1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=")
os.environ.setdefault(
    "MESSPACE_SEARCH_INDEX_KEY", "YmVuY2gtc2VhcmNoLWluZGV4LWtleS1ub3QtZm9yLXByb2Q="
)
BENCH_DIR = Path(tempfile.mkdtemp(prefix="messpace-bench-directory-"))
BENCH_MEDIA = BENCH_DIR / "media"
BENCH_MEDIA.mkdir()
os.environ["MEDIA_ROOT"] = str(BENCH_MEDIA)

import django

django.setup()
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
warnings.filterwarnings("ignore", message="Transitional Django setting", category=UserWarning)

from directory_extract import Sample, write_extract
from django.conf import settings
from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

from messpace.accounts.models import Professional
from messpace.directory import services
from messpace.directory.folding import fold
from messpace.directory.models import (
    Activity,
    DirectoryImport,
    DirectoryImportError,
    DirectoryImportState,
    Listing,
    Structure,
)
from messpace.directory.selectors import listings_search

# --- Measuring ------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a local process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """The CPU of the PostgreSQL processes serving the bench database (not this
    process's own connection), sampled while the import runs."""

    def __init__(self) -> None:
        self.baseline: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        for pid, _kind in self._backends():
            self.baseline[pid] = proc_cpu(pid) or 0.0

    def _backends(self) -> list[tuple[int, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, backend_type FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return list(cursor.fetchall())

    def sample(self) -> None:
        for pid, kind in self._backends():
            cpu = proc_cpu(pid)
            if cpu is not None:
                self.last[pid] = (kind, cpu)

    def totals(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, (kind, cpu) in self.last.items():
            totals[kind] = totals.get(kind, 0.0) + cpu - self.baseline.get(pid, 0.0)
        return totals


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(queue: str, log: Path, chunk: int | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(BENCH_MEDIA)}
    if chunk:
        env["MESSPACE_DIRECTORY_CHUNK_ROWS"] = str(chunk)
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
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--prefetch-multiplier",
            "1",
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
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the worker exited early:\n{log.read_text(errors='replace')}")
        if "ready." in log.read_text(errors="replace"):
            return proc
        time.sleep(0.2)
    proc.terminate()
    sys.exit(f"the worker was not ready after 60 s:\n{log.read_text(errors='replace')}")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def import_through_worker(path: Path, chunk: int | None) -> dict[str, Any]:
    from messpace.celery import app

    queue = f"bench-directory-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    app.conf.task_always_eager = False
    app.conf.task_routes = {"messpace.directory.tasks.*": {"queue": queue}}
    app.amqp.__dict__.pop("router", None)
    log = BENCH_DIR / "worker.log"
    worker = start_worker(queue, log, chunk)
    try:
        pg = BackendCpu()
        worker_cpu = proc_cpu(worker.pid) or 0.0
        began = time.perf_counter()
        with path.open("rb") as stream:
            started = services.directory_import_start(
                by=None, filename=path.name, stream=stream, full_extract=True
            )
        start_seconds = time.perf_counter() - began
        last_report = time.perf_counter()
        while True:
            time.sleep(0.5)
            pg.sample()
            state = DirectoryImport.objects.filter(pk=started.pk).values_list(
                "state", "processed_rows", "total_rows"
            )[0]
            if state[0] in (DirectoryImportState.DONE, DirectoryImportState.FAILED):
                break
            if worker.poll() is not None:
                sys.exit(f"the worker died:\n{log.read_text(errors='replace')[-5000:]}")
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                elapsed = last_report - began
                print(
                    f"  … {state[1]:,} / {state[2]:,} lines after {elapsed:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        observed = time.perf_counter() - began
        worker_cpu = (proc_cpu(worker.pid) or 0.0) - worker_cpu
        pg.sample()
    finally:
        stop_worker(worker)
    done = DirectoryImport.objects.get(pk=started.pk)
    if done.state != DirectoryImportState.DONE:
        sys.exit(f"the import failed: {done.failure}\n{log.read_text(errors='replace')[-5000:]}")
    assert done.started_at is not None and done.finished_at is not None
    return {
        "import": done,
        "start": start_seconds,
        "run": (done.finished_at - done.started_at).total_seconds(),
        "observed": observed,
        "worker_cpu": worker_cpu,
        "pg": pg.totals(),
    }


def import_profiled(path: Path) -> None:
    """The import in this process, under cProfile."""
    services._enqueue = lambda import_id: None  # type: ignore[assignment]
    with path.open("rb") as stream:
        started = services.directory_import_start(by=None, filename=path.name, stream=stream)
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    services.directory_import_run(import_id=started.pk)
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = DirectoryImport.objects.get(pk=started.pk)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    print(
        f"{done.total_rows} lines in {wall:.1f} s ({done.total_rows / wall:.0f} lines/s, "
        f"{cpu:.1f} s CPU in this process, profiled)"
    )


# --- Searching ------------------------------------------------------------------------------


def make_queries(samples: list[Sample], count: int) -> list[tuple[str, str]]:
    """(kind, query): what people type to find a professional."""
    rng = random.Random(11)
    queries = []
    for i in range(count):
        s = rng.choice(samples)
        family = fold(s.family)
        given = fold(s.given).split()[0]
        town = " ".join(fold(s.town).split()[:2])
        kind = ("prefix", "prefix", "name + town", "name + profession", "full name")[i % 5]
        if kind == "prefix":
            query = family.replace(" ", "")[: rng.randint(3, 6)]
        elif kind == "name + town":
            query = f"{family} {town}"
        elif kind == "name + profession":
            query = f"{family} {s.profession_word}"
        else:
            query = f"{given} {family}" if rng.random() < 0.5 else f"{family} {given}"
        if rng.random() < 0.3:  # typed with capitals and accents, as the name is written
            query = query.upper()
        queries.append((kind, query))
    return queries


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def search_latency(samples: list[Sample], count: int) -> dict[str, list[tuple[float, str, int]]]:
    queries = make_queries(samples, count)
    for _kind, query in queries[:40]:  # warm-up: the planner's caches, the connection
        list(listings_search(query))
    timings: dict[str, list[tuple[float, str, int]]] = {}
    for kind, query in queries:
        start = time.perf_counter()
        found = list(listings_search(query))
        ms = (time.perf_counter() - start) * 1000
        timings.setdefault(kind, []).append((ms, query, len(found)))
    return timings


# --- The run --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    path = BENCH_DIR / "PS_LibreAcces_Personne_activite_bench.txt"
    began = time.perf_counter()
    extract = write_extract(path, args.rows)
    generated = time.perf_counter() - began
    size_mb = path.stat().st_size / 1024 / 1024
    if args.profile:
        if args.chunk:
            settings.MESSPACE_DIRECTORY_CHUNK_ROWS = args.chunk
        import_profiled(path)
        return
    figures = import_through_worker(path, args.chunk)
    done: DirectoryImport = figures["import"]
    path.unlink()

    counts = {
        "professionals": Professional.objects.count(),
        "structures": Structure.objects.count(),
        "activities": Activity.objects.count(),
        "listings": Listing.objects.count(),
        "refused": DirectoryImportError.objects.count(),
    }
    consistent = (
        counts["professionals"] == counts["listings"] == done.created_count
        and counts["refused"] == done.error_count
        and done.processed_rows == done.total_rows == args.rows
    )
    timings = search_latency(extract.samples, args.queries)

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('directory_listing')), "
            "pg_size_pretty(pg_relation_size('directory_listing_search_gin'))"
        )
        listing_size, gin_size = cursor.fetchone()
    rows, run_s = done.total_rows, figures["run"]
    pg = figures["pg"]
    pg_client = pg.get("client backend", 0.0)
    pg_other = sum(cpu for kind, cpu in pg.items() if kind != "client backend")
    chunk = args.chunk or services.chunk_rows()
    print()
    print(
        f"messpace directory benchmark — PostgreSQL {pg_version}, Django {django.get_version()}, "
        f"Python {platform.python_version()}, {platform.machine()} × {os.cpu_count()} CPU, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"extract: {args.rows:,} lines, {size_mb:.0f} MB, {len(extract.towns):,} towns, "
        f"written in {generated:.0f} s; chunks of {chunk:,} lines"
    )
    print()
    print("import through one Celery worker (solo pool, concurrency 1, prefetch 1):")
    print(f"  directory_import_start (store the file, count its lines): {figures['start']:.1f} s")
    print(
        f"  directory_import_run: {run_s:.1f} s (task started to finished; "
        f"{figures['observed']:.1f} s observed from the start call)"
    )
    print(
        f"  worker CPU: {figures['worker_cpu']:.1f} s ({rows / figures['worker_cpu']:,.0f} "
        f"lines per CPU second); PostgreSQL CPU: {pg_client:.1f} s for the worker's backend, "
        f"{pg_other:.1f} s autovacuum"
    )
    print(
        f"  counters: {done.created_count:,} professionals created, {done.updated_count:,} "
        f"updated, {done.unchanged_count:,} unchanged lines, {done.error_count:,} refused"
    )
    print(
        f"  rows: {counts['professionals']:,} professionals, {counts['structures']:,} "
        f"structures, {counts['activities']:,} places of practice, {counts['listings']:,} "
        f"listings ({listing_size}, search index {gin_size}), {counts['refused']:,} refused "
        f"lines; consistent with the counters: {'yes' if consistent else 'NO'}"
    )
    print()
    every = [ms for values in timings.values() for ms, _q, _n in values]
    print(
        f"search over {counts['listings']:,} listings, {len(every)} queries, list(listings_search(q)):"
    )
    print(
        f"  {'kind':<18} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'mean hits':>9}"
    )
    for kind, values in timings.items():
        ms = [v[0] for v in values]
        print(
            f"  {kind:<18} {len(ms):>7} {percentile(ms, 0.5):>7.1f} {percentile(ms, 0.95):>7.1f} "
            f"{max(ms):>7.1f} {statistics.mean(v[2] for v in values):>9.1f}"
        )
    slowest = sorted((v for values in timings.values() for v in values), reverse=True)[:5]
    print("  slowest: " + ", ".join(f"{q!r} {ms:.0f} ms" for ms, q, _n in slowest))
    print(f"SEARCH p50 {percentile(every, 0.5):.1f} ms, p95 {percentile(every, 0.95):.1f} ms")
    print(f"RATE import: {rows / run_s:.0f} lines/s per worker core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--chunk", type=int, default=0, help="lines per chunk (default: the setting's)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="import in this process under cProfile"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    default = connection.settings_dict
    default["TEST"]["NAME"] = f"{default['NAME']}_bench_directory"
    setup_test_environment(debug=False)
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        run(args)
    finally:
        connection.close()
        if args.keep:
            print(f"kept the database {default['NAME']}", file=sys.stderr)
        else:
            teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        shutil.rmtree(BENCH_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
