"""The access log: append-only in the database, one row per professional read.

The PostgreSQL trigger of ``consent/migrations/0004_access_log_append_only.py``
refuses UPDATE and DELETE whoever runs them, raw SQL included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consent.models import (
    AccessBasis,
    AccessLog,
    CareRelationship,
    EmergencyAccess,
)
from messpace.accounts.models import Professional, User
from records.models import Patient
from tests.factories import DesignatedGPFactory, ProfessionalFactory, ShareFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.fixture
def log_row(alice: Patient, bob: Professional) -> AccessLog:
    return AccessLog.objects.create(
        patient=alice,
        actor=bob.user,
        actor_label="Dr Bob Durand",
        role="professional",
        basis=AccessBasis.CARE_RELATIONSHIP,
        action="read",
        what="dashboard",
    )


def _row(pk: int) -> tuple[object, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT what, basis, actor_label FROM consent_accesslog WHERE id = %s", [pk])
        return cursor.fetchone()


def test_raw_update_of_a_log_row_is_refused_by_the_database(log_row: AccessLog) -> None:
    before = _row(log_row.pk)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE consent_accesslog SET what = 'rien' WHERE id = %s", [log_row.pk])

    assert _row(log_row.pk) == before


def test_raw_delete_of_a_log_row_is_refused_by_the_database(log_row: AccessLog) -> None:
    before = _row(log_row.pk)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM consent_accesslog WHERE id = %s", [log_row.pk])

    assert _row(log_row.pk) == before


def test_orm_update_and_delete_are_refused_too(log_row: AccessLog) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log_row.pk).update(what="rien")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log_row.pk).delete()

    assert AccessLog.objects.get(pk=log_row.pk).what == "dashboard"


def test_inserts_still_work(log_row: AccessLog, alice: Patient, bob: Professional) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consent_accesslog "
            "(patient_id, actor_id, actor_label, role, basis, action, what, at) "
            "VALUES (%s, %s, 'Dr Bob Durand', 'professional', 'care', 'read', 'timeline', now())",
            [alice.pk, bob.user.pk],
        )

    assert AccessLog.objects.filter(patient=alice).count() == 2


def _grant(kind: str, alice: Patient) -> Professional:
    pro = ProfessionalFactory(profession="urgentiste" if kind == "emergency" else "generaliste")
    now = timezone.now()
    if kind == "gp":
        DesignatedGPFactory(patient=alice, professional=pro)
    elif kind == "care":
        CareRelationship.objects.create(patient=alice, professional=pro)
    elif kind == "share":
        ShareFactory(patient=alice, professional=pro)
    else:
        EmergencyAccess.objects.create(
            patient=alice,
            professional=pro,
            reason="Patient inconscient",
            started_at=now,
            expires_at=now + dt.timedelta(hours=24),
        )
    return pro


@pytest.mark.parametrize("basis", ["gp", "care", "share", "emergency"])
@pytest.mark.parametrize("page", ["dashboard", "timeline", "section_list"])
def test_every_professional_read_writes_one_row_with_its_basis(
    alice: Patient,
    client: Client,
    login: Callable[[Client, User], Client],
    basis: str,
    page: str,
) -> None:
    pro = _grant(basis, alice)
    client = login(client, pro.user)
    args: list[object] = [alice.pk] + (["traitements"] if page == "section_list" else [])

    response = client.get(reverse(f"pro:{page}", args=args))

    assert response.status_code == 200
    rows = list(AccessLog.objects.filter(patient=alice))
    assert len(rows) == 1
    assert (rows[0].actor_id, rows[0].basis, rows[0].role, rows[0].action) == (
        pro.user.pk,
        basis,
        "professional",
        "read",
    )
    assert rows[0].what == {"section_list": "treatment"}.get(page, page)


def test_the_patient_reading_their_own_record_writes_no_row(
    alice: Patient, alice_client: Client
) -> None:
    alice_client.get(reverse("records:dashboard"))

    assert not AccessLog.objects.filter(patient=alice).exists()
