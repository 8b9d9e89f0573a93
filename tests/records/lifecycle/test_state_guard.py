"""One path changes a record's state, and the database holds everyone to it.

The lifecycle services are the only code that writes ``Record.state``; on
PostgreSQL a deferred constraint trigger refuses, at commit, a record
inserted or a state changed without its ``RecordTransition`` row written in
the same transaction (savepoints included), whoever runs the SQL.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from records.lifecycle.models import Record, RecordState, RecordTransition
from records.lifecycle.services import record_transition, records_transition
from records.models import Patient
from records.services import patient_create
from tests.factories import make_nir

ROOT = Path(__file__).resolve().parents[3]
APPS = ("messpace", "records", "consent", "documents", "messaging", "agenda")
pytestmark = pytest.mark.django_db(transaction=True)


def _person(n: int = 0) -> Patient:
    born = dt.date(1980, 1, 1 + n)
    return patient_create(
        data={
            "nir": make_nir(sex="F", birth_date=born),
            "birth_names": "GARDE",
            "given_names": f"Anne{n}",
            "birth_date": born,
            "sex": "F",
        }
    )


def _state(patient: Patient) -> str:
    return Record.objects.values_list("state", flat=True).get(patient=patient)


def test_a_state_written_without_its_transition_is_refused_at_commit() -> None:
    anne = _person()

    with pytest.raises(IntegrityError, match="without its RecordTransition"), transaction.atomic():
        Record.objects.filter(patient=anne).update(state=RecordState.ACTIVE)

    assert _state(anne) == RecordState.CREATED
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE records_record SET state = 'active' WHERE patient_id = %s", [anne.pk]
        )
    assert _state(anne) == RecordState.CREATED


def test_a_transition_of_other_states_or_another_transaction_does_not_count() -> None:
    """GIVEN a transition row for another move, or one committed earlier
    THEN the check still refuses: it wants this move, in this transaction."""
    anne = _person()
    record = Record.objects.get(patient=anne)
    RecordTransition.objects.create(
        record=record, from_state=RecordState.CREATED, to_state=RecordState.ACTIVE
    )  # committed on its own (autocommit)

    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(pk=record.pk).update(state=RecordState.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordTransition.objects.create(
            record=record, from_state=RecordState.CREATED, to_state=RecordState.OPPOSED
        )
        Record.objects.filter(pk=record.pk).update(state=RecordState.ACTIVE)
    assert _state(anne) == RecordState.CREATED


def test_a_transition_rolled_back_with_its_savepoint_leaves_the_state_refused() -> None:
    anne = _person()
    record = Record.objects.get(patient=anne)

    with pytest.raises(IntegrityError), transaction.atomic():
        try:
            with transaction.atomic():
                RecordTransition.objects.create(
                    record=record, from_state=RecordState.CREATED, to_state=RecordState.NOTIFIED
                )
                raise RuntimeError("the savepoint goes")
        except RuntimeError:
            pass
        Record.objects.filter(pk=record.pk).update(state=RecordState.NOTIFIED)
    assert _state(anne) == RecordState.CREATED


def test_a_record_inserted_without_its_first_transition_is_refused() -> None:
    anne = _person()
    bea = Patient.objects.create(
        nir=make_nir(sex="F", birth_date=anne.birth_date),
        birth_names="SANS",
        given_names="Dossier",
        birth_date=anne.birth_date,
        sex="F",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.create(patient=bea, state=RecordState.ACTIVE)
    assert not Record.objects.filter(patient=bea).exists()


def test_the_lifecycle_services_commit_inside_savepoints_and_in_bulk() -> None:
    """The services' own writes pass the check: one move, a bulk move, and a move
    nested in savepoints (the top transaction's id marks the row)."""
    people = [_person(n) for n in range(3)]
    first = Record.objects.get(patient=people[0])

    with transaction.atomic(), transaction.atomic():
        record_transition(record=first, to_state=RecordState.NOTIFIED, by=None, reason="test")
    moved = records_transition(
        record_ids=Record.objects.filter(patient__in=people).values_list("pk", flat=True),
        from_state=RecordState.CREATED,
        to_state=RecordState.NOTIFIED,
        reason="test en masse",
    )

    assert len(moved) == 2
    assert {_state(p) for p in people} == {RecordState.NOTIFIED}
    assert RecordTransition.objects.filter(to_state=RecordState.NOTIFIED).count() == 3


def _writes_record_state(tree: ast.AST) -> list[int]:
    """Lines of ``Record…update(state=…)``, ``Record(…, state=…)`` and
    ``Record.objects.create(state=…)`` calls."""
    lines = []
    writes = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if not any(k.arg in {"state", "state_changed_at"} for k in node.keywords):
            continue
        chain = ast.unparse(node.func)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if chain == "Record" or (chain.startswith("Record.") and method in writes):
            lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_writes_a_record_state() -> None:
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith("records/lifecycle/"):
                continue
            for line in _writes_record_state(ast.parse(path.read_text(encoding="utf-8"))):
                offenders.append(f"{relative}:{line}")
    assert offenders == []
    # The check sees the lifecycle's own writes (it is not blind).
    services = ROOT / "records" / "lifecycle" / "services.py"
    assert _writes_record_state(ast.parse(services.read_text(encoding="utf-8")))
