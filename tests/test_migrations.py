"""The migrations of the move to one home per concern lose no row.

GIVEN the demo data (patients, entries, documents, grants, an opt-out campaign
with its notices, deliveries and letter batches, two closed records) and a
cohort import, all written at the current schema
WHEN the database is taken back to the schema before the move (the opt-out
models inside ``records``, no transition trigger, no guardian flags) and then
forward again
THEN every table holds the same rows all along, and the moved models, read
through their new home, find every one of them; their content types follow
them, so the admins' permissions still apply.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from consent.optout.models import (
    Campaign,
    CohortImport,
    CohortImportError,
    CohortMember,
    LetterBatch,
    Notice,
    NoticeDelivery,
)
from consent.optout.services.cohorts import cohort_import_start
from messpace.accounts.models import User
from tests.documents.conftest import scanner_off  # noqa: F401
from tests.factories import make_nir

# The last migration of each app before the move, and the moved app, absent then.
BEFORE_THE_MOVE = [
    ("records", "0011_letter_batch_retention"),
    ("consent", "0010_emergency_reason_out_of_access_log"),
    ("documents", "0002_search_terms_gin_index"),
    ("optout", None),
]
MOVED = (
    Campaign,
    CohortImport,
    CohortImportError,
    CohortMember,
    LetterBatch,
    Notice,
    NoticeDelivery,
)


def _cohort() -> bytes:
    """One new person, and one line refused (its NIR says a man, the line a woman)."""
    alice = make_nir(sex="F", birth_date=dt.date(1985, 3, 14))
    bob = make_nir(sex="M", birth_date=dt.date(1985, 3, 14))
    return (
        "nir;nom_naissance;prenoms;date_naissance;sexe;adresse1;code_postal;ville\r\n"
        f"{alice};MARTIN;Alice;14/03/1985;F;1 rue A;75001;Paris\r\n"
        f"{bob};MARTIN;Bob;14/03/1985;F;1 rue A;75001;Paris\r\n"
    ).encode()


def _tables() -> dict[str, tuple[int, str]]:
    """Every table of the project's apps: its row count and a digest of its ids."""
    found: dict[str, tuple[int, str]] = {}
    labels = {"accounts", "records", "consent", "optout", "documents"}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label not in labels or not model._meta.managed:
                continue
            table = model._meta.db_table
            pk = model._meta.pk.column
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(\"{pk}\"::text, ',' "  # noqa: S608
                f'ORDER BY "{pk}"), \'\')) FROM "{table}"'
            )
            count, digest = cursor.fetchone()
            found[table] = (count, digest)
    return found


def _migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_demo_data_survives_the_move_back_and_forth(
    media: object, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("scanner_off")
    call_command("seed_demo", "--force", stdout=io.StringIO())
    admin = User.objects.filter(is_superuser=True).first()
    assert admin is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        cohort_import_start(by=admin, filename="c.csv", content=_cohort())
    for model in MOVED:
        assert model.objects.exists(), model  # the demo fills every moved table
    before = _tables()
    content_types = {
        model._meta.model_name: ContentType.objects.get_for_model(model).pk for model in MOVED
    }

    _migrate(BEFORE_THE_MOVE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'records_recordtransition' AND column_name = 'xact'"
        )
        assert cursor.fetchone()[0] == 0  # the old schema indeed
    old = _tables()
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(leaves)

    assert old == before
    assert _tables() == before
    for model in MOVED:
        table = model._meta.db_table
        assert model.objects.count() == before[table][0], table
    moved_types = {
        ct.model: ct.pk
        for ct in ContentType.objects.filter(app_label="optout", model__in=list(content_types))
    }
    assert moved_types == content_types
