"""Letters benchmark: opt-out information letters per second, batched vs one by one.

Usage (no database, no Redis: embedded settings)::

    DEBUG=true python bench/letters.py [--letters 1000] [--batch-size 1000] [--sample 50]

Renders ``--letters`` synthetic letters the way a campaign does: one
``consent.optout.letters.render_batch`` PDF (and its CSV manifest) per
``--batch-size`` letters. Then, in the same run, renders ``--sample`` of the
same letters each as its own WeasyPrint document with ``render_one`` (the
baseline). A warm-up render comes first so both ways run with imports and
fontconfig's cache already loaded.

The process is single-threaded, so letters per second per core is the
process's rate; CPU time is printed beside wall time, since other work on the
machine slows the wall clock. It prints both rates, the PDF size per letter,
the process's peak resident memory after the batches (what a ``letters``
worker needs), and the ratio batched / one by one last (target: at least 5).

The two ways give the same pages (``tests/consent/optout/test_letters.py`` checks
it): ``render_one`` lays out the whole letter, ``render_batch`` lays out the
shared text once per variant and only the fields per letter, then merges.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "messpace.settings"
# Embedded mode (SQLite, no services): rendering letters needs only templates.
os.environ.setdefault("DEBUG", "true")

import django

django.setup()
# WeasyPrint logs every step and page at INFO; the bench prints its own figures.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

from consent.optout.letters import LetterData, manifest_csv, render_batch, render_one

GIVEN = ["Camille", "Léa", "Lucas", "Chloé", "Hugo", "Inès", "Gabriel", "Zoé", "Louis", "Manon"]
FAMILY = ["MOREAU", "PETIT", "DURAND", "LEFÈVRE", "GARCIA", "FAURE", "ROUSSEAU", "N'DIAYE"]
STREETS = ["rue de la République", "avenue Jean Jaurès", "place du Marché", "chemin des Vignes"]
CITIES = [("69007", "Lyon"), ("13001", "Marseille"), ("42000", "Saint-Étienne"), ("29200", "Brest")]


def make_letters(count: int, seed: int = 5) -> list[LetterData]:
    """``count`` plausible letters: a fifth to guardians, some long addresses."""
    rng = random.Random(seed)
    notified = dt.date(2026, 11, 21)
    letters = []
    for i in range(count):
        family = rng.choice(FAMILY)
        recipient = f"{rng.choice(['Mme', 'M.'])} {rng.choice(GIVEN)} {family}"
        minor = i % 5 == 0
        postcode, city = rng.choice(CITIES)
        lines: tuple[str, ...] = (
            f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            f"{postcode} {city}",
        )
        if i % 3 == 0:
            lines = (
                f"Appartement {rng.randint(1, 80)}, escalier B",
                "Résidence Les Tilleuls",
                *lines,
            )
        letters.append(
            LetterData(
                reference=f"C12-{i:06d}",
                recipient_name=recipient,
                address_lines=lines,
                patient_name=f"{rng.choice(GIVEN)} {family}" if minor else recipient,
                for_minor=minor,
                code="-".join(
                    "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(4))
                    for _ in range(3)
                ),
                notified_on=notified,
                opens_on=notified + dt.timedelta(weeks=6),
                oppose_url="https://messpace.example.fr/opposition/",
            )
        )
    return letters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=1000, help="letters rendered in batches")
    parser.add_argument("--batch-size", type=int, default=1000, help="letters per PDF")
    parser.add_argument("--sample", type=int, default=50, help="letters rendered one by one")
    args = parser.parse_args()

    letters = make_letters(max(args.letters, args.sample))
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    render_batch(letters[:2])  # warm-up: imports, fontconfig, template loader

    batched = letters[: args.letters]
    wall, cpu, size = time.perf_counter(), time.process_time(), 0
    for start in range(0, len(batched), args.batch_size):
        chunk = batched[start : start + args.batch_size]
        size += len(render_batch(chunk))
        manifest_csv(chunk, batch_number=start // args.batch_size + 1)
    batch_wall, batch_cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    sample = letters[: args.sample]
    wall, cpu, one_size = time.perf_counter(), time.process_time(), 0
    for letter in sample:
        one_size += len(render_one(letter))
    one_wall, one_cpu = time.perf_counter() - wall, time.process_time() - cpu

    batch_rate, one_rate = len(batched) / batch_wall, len(sample) / one_wall
    print(
        f"batched    : {len(batched)} letters in {batch_wall:.1f} s (CPU {batch_cpu:.1f} s), "
        f"{-(-len(batched) // args.batch_size)} PDF of up to {args.batch_size}, "
        f"peak RSS {peak_mib:.0f} MiB"
    )
    print(
        f"             {batch_rate:.1f} letters/s, {len(batched) / batch_cpu:.1f} letters/s per core (CPU), "
        f"{1000 * batch_wall / len(batched):.1f} ms/letter, {size / len(batched) / 1024:.1f} KiB/letter"
    )
    print(f"one by one : {len(sample)} letters in {one_wall:.1f} s (CPU {one_cpu:.1f} s)")
    print(
        f"             {one_rate:.1f} letters/s, {len(sample) / one_cpu:.1f} letters/s per core (CPU), "
        f"{1000 * one_wall / len(sample):.1f} ms/letter, {one_size / len(sample) / 1024:.1f} KiB/letter"
    )
    print(
        f"ratio batched / one by one: {batch_rate / one_rate:.2f}x wall, "
        f"{(len(batched) / batch_cpu) / (len(sample) / one_cpu):.2f}x CPU (target 5x)"
    )


if __name__ == "__main__":
    main()
