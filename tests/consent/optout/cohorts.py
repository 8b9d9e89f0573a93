"""Cohort files for the import tests, and the helpers that run an import.

The people of the files: Alice Martin and Bernard Dubois (adults), their son
Léo Martin (a minor, with both as guardians) and Chloé Lefèvre (accents, for
the encodings). Imported by the cohort tests here and by the record tests
(tests/records/lifecycle) that need records created by an import.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.test import Client, TestCase

from consent.optout.models import CohortImport, CohortImportError
from consent.optout.services.cohorts import cohort_import_start
from messpace.accounts.models import User
from tests.factories import make_nir

Login = Callable[[Client, User], Client]

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

RNG = random.Random(5)
ALICE_NIR = make_nir(sex="F", birth_date=dt.date(1985, 3, 14), rng=RNG)
BERNARD_NIR = make_nir(sex="M", birth_date=dt.date(1982, 11, 2), rng=RNG)
LEO_NIR = make_nir(sex="M", birth_date=dt.date(2015, 7, 9), rng=RNG)
CHLOE_NIR = make_nir(sex="F", birth_date=dt.date(1990, 1, 25), rng=RNG)


def alice_row(**changes: str) -> dict[str, str]:
    row = {
        "nir": ALICE_NIR,
        "nom_naissance": "MARTIN",
        "prenoms": "Alice Marie",
        "date_naissance": "14/03/1985",
        "sexe": "F",
        "adresse1": "12 rue des Lilas",
        "code_postal": "75011",
        "ville": "Paris",
        "courriel": "alice@exemple.fr",
        "telephone": "06 12 34 56 78",
    }
    return row | changes


def bernard_row(**changes: str) -> dict[str, str]:
    row = {
        "nir": BERNARD_NIR,
        "nom_naissance": "DUBOIS",
        "prenoms": "Bernard",
        "date_naissance": "1982-11-02",
        "sexe": "M",
        "adresse1": "12 rue des Lilas",
        "code_postal": "75011",
        "ville": "Paris",
    }
    return row | changes


def leo_row(**changes: str) -> dict[str, str]:
    row = {
        "nir": LEO_NIR,
        "nom_naissance": "MARTIN",
        "prenoms": "Léo",
        "date_naissance": "09/07/2015",
        "sexe": "M",
        "adresse1": "12 rue des Lilas",
        "code_postal": "75011",
        "ville": "Paris",
        "nir_representant_1": ALICE_NIR,
        "nir_representant_2": BERNARD_NIR,
    }
    return row | changes


def chloe_row(**changes: str) -> dict[str, str]:
    row = {
        "nir": CHLOE_NIR,
        "nom_naissance": "LEFÈVRE",
        "nom_usage": "NOËL",
        "prenoms": "Chloé Hélène",
        "date_naissance": "25/01/1990",
        "sexe": "F",
        "adresse1": "3 place de l’Église",
        "adresse2": "Bâtiment Œ",
        "code_postal": "45000",
        "ville": "Orléans",
        "pays": "FR",
    }
    return row | changes


def csv_text(
    rows: list[dict[str, str]], *, delimiter: str = ";", header: list[str] = HEADER
) -> str:
    lines = [delimiter.join(header)]
    lines += [delimiter.join(row.get(name, "") for name in header) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def csv_file(rows: list[dict[str, str]], **kwargs: Any) -> bytes:
    return csv_text(rows, **kwargs).encode("utf-8")


def committed(call: Callable[[], Any]) -> Any:
    """Run ``call`` and then, as a real commit would, the task it queued."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = call()
    return result


def run_import(by: User, content: bytes, filename: str = "assures.csv") -> CohortImport:
    cohort_import = committed(
        lambda: cohort_import_start(by=by, filename=filename, content=content)
    )
    cohort_import.refresh_from_db()
    return cohort_import


def messages_of(cohort_import: CohortImport) -> dict[int, str]:
    return dict(
        CohortImportError.objects.filter(cohort_import=cohort_import).values_list("line", "message")
    )


def big_file(target_bytes: int) -> tuple[bytes, int]:
    """Valid-looking lines (5,000 distinct people, repeated) up to ``target_bytes``."""
    rng = random.Random(50)
    block = []
    for i in range(5000):
        day = dt.date(1940 + i % 60, 1 + i % 12, 1 + i % 28)
        sex = "MF"[i % 2]
        row = alice_row(
            nir=make_nir(sex=sex, birth_date=day, rng=rng),
            date_naissance=day.strftime("%d/%m/%Y"),
            sexe=sex,
            nom_naissance=f"NOM{i}",
            adresse2="Résidence des Tilleuls, escalier B, appartement 12",
        )
        block.append(";".join(row.get(name, "") for name in HEADER))
    chunk = ("\r\n".join(block) + "\r\n").encode()
    repeat = target_bytes // len(chunk) + 1
    return (";".join(HEADER) + "\r\n").encode() + chunk * repeat, 5000 * repeat
