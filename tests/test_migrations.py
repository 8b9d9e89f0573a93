"""The migrations of the move to one home per concern lose no row.

GIVEN the demo data (patients, entries, documents, grants, an opt-out campaign
with its notices, deliveries and letter batches, two closed records) and a
cohort import, all written at the current schema
WHEN the database is taken back to the schema before the move (the opt-out
models inside ``records``, no transition trigger, no guardian flags) and then
forward again
THEN every table holds the same rows all along, and the moved models, read
through their new home, find every one of them; their content types follow
them, so the admins' permissions still apply. Rows written with the models
as they were before the move (a campaign in ``records``, a minor's share, a
care relationship) are found too, with the new columns filled by the
backfill.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from consent.models import CareRelationship, Share
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
        existing = set(connection.introspection.table_names(cursor))
        for model in apps.get_models():
            if model._meta.app_label not in labels or not model._meta.managed:
                continue
            table = model._meta.db_table
            if table not in existing:  # a table the old schema has not yet
                continue
            pk = model._meta.pk.column
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(\"{pk}\"::text, ',' "  # noqa: S608
                f'ORDER BY "{pk}"), \'\')) FROM "{table}"'
            )
            count, digest = cursor.fetchone()
            found[table] = (count, digest)
    return found


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    """Migrate to ``targets``; returns the historical models at that point."""
    MigrationExecutor(connection).migrate(targets)
    nodes = [(app, name) for app, name in targets if name is not None]
    return MigrationExecutor(connection).loader.project_state(nodes, at_end=True).apps


def _old_rows(old: Any) -> dict[str, int]:
    """Rows written with the models as they were before the move: a campaign in
    ``records``, a minor's share and a care relationship its professional made."""
    campaign = old.get_model("records", "Campaign").objects.create(
        name="Campagne d’avant", created_by_id=old.get_model("accounts", "User").objects.first().pk
    )
    patient_model = old.get_model("records", "Patient")
    minor = patient_model.objects.filter(
        birth_date__gt=dt.date.today() - dt.timedelta(days=18 * 365)
    ).first()
    care_model = old.get_model("consent", "CareRelationship")
    adult = (
        patient_model.objects.filter(birth_date__lt=dt.date(1990, 1, 1))
        .exclude(pk__in=care_model.objects.values("patient_id"))
        .first()
    )
    professional = old.get_model("accounts", "Professional").objects.first()
    share = old.get_model("consent", "Share").objects.create(
        patient_id=minor.pk, professional_id=professional.pk, section="vaccination"
    )
    care = care_model.objects.create(
        patient_id=adult.pk, professional_id=professional.pk, created_by_id=professional.user_id
    )
    return {"campaign": campaign.pk, "share": share.pk, "care": care.pk}


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

    old_apps = _migrate(BEFORE_THE_MOVE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'records_recordtransition' AND column_name = 'xact'"
        )
        assert cursor.fetchone()[0] == 0  # the old schema indeed
    old = _tables()
    assert old == {table: rows for table, rows in before.items() if table in old}
    assert {"records_campaign", "records_notice", "records_recordtransition"} <= set(old)
    written = _old_rows(old_apps)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(leaves)

    after = _tables()
    changed = {table for table in after if after[table] != before[table]}
    assert changed == {"records_campaign", "consent_share", "consent_carerelationship"}
    assert Campaign.objects.get(pk=written["campaign"]).name == "Campagne d’avant"
    # The backfill: a minor's share taken as a guardian's (the safe side), and a
    # relationship its professional created as declared by them.
    assert Share.objects.get(pk=written["share"]).granted_by_guardian
    assert CareRelationship.objects.get(pk=written["care"]).declared_by_professional
    for model in MOVED:
        table = model._meta.db_table
        assert model.objects.count() == after[table][0], table
        if table != "records_campaign":
            assert after[table] == before[table], table
    assert Permission.objects.filter(
        content_type__app_label="optout", codename="view_campaign"
    ).exists()
    moved_types = {
        ct.model: ct.pk
        for ct in ContentType.objects.filter(app_label="optout", model__in=list(content_types))
    }
    assert moved_types == content_types
