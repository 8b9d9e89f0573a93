"""Cohort imports in the background: chunks, interruptions, concurrent registrations.

An import runs chunk by chunk, each in its own transaction, resumes where it
stopped, and writes each chunk in bulk exactly what ``patient_create`` writes.
The people of the files are in ``cohorts.py``; the clock is frozen on 1 June 2024
(tests/records/conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.test import TestCase

from consent.optout import selectors as cohort_selectors
from consent.optout.models import CohortImport, CohortImportState, CohortMember, GuardianToInform
from consent.optout.services.cohorts import cohort_import_run, cohort_import_start
from messpace.accounts.models import User
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.models import Patient
from records.services import patient_create
from tests.conftest import Refuse
from tests.consent.optout.cohorts import (
    ALICE_NIR,
    BERNARD_NIR,
    CHLOE_NIR,
    LEO_NIR,
    RNG,
    alice_row,
    bernard_row,
    chloe_row,
    committed,
    csv_file,
    leo_row,
    messages_of,
    run_import,
)
from tests.factories import make_nir

# --- Background work ---------------------------------------------------------------------------


def test_interrupted_import_resumes_and_imports_every_valid_line_once(
    admin_user: User, settings: Any
) -> None:
    """GIVEN an import whose worker stopped after the first chunk of two lines
    WHEN the task runs again (as after a redelivery)
    THEN it continues after that chunk: each person once, each error once."""
    settings.MESSPACE_COHORT_CHUNK_ROWS = 2
    content = csv_file(
        [alice_row(), bernard_row(date_naissance="bad"), leo_row(), chloe_row(), alice_row()]
    )
    with TestCase.captureOnCommitCallbacks(execute=False):
        cohort_import = cohort_import_start(by=admin_user, filename="a.csv", content=content)
    cohort_import_run(import_id=cohort_import.pk, max_chunks=1)
    cohort_import.refresh_from_db()
    assert (cohort_import.state, cohort_import.processed_rows) == (CohortImportState.RUNNING, 2)
    assert list(Patient.objects.values_list("nir", flat=True)) == [ALICE_NIR]

    cohort_import_run(import_id=cohort_import.pk)
    cohort_import_run(import_id=cohort_import.pk)  # a second delivery does nothing

    cohort_import.refresh_from_db()
    assert cohort_import.state == CohortImportState.DONE
    assert cohort_import.processed_rows == 5
    assert (cohort_import.created_count, cohort_import.error_count) == (3, 1)
    assert cohort_import.duplicate_count == 1
    assert sorted(Patient.objects.values_list("nir", flat=True)) == sorted(
        [ALICE_NIR, LEO_NIR, CHLOE_NIR]
    )
    assert sorted(messages_of(cohort_import)) == [3, 6]
    assert CohortMember.objects.filter(cohort_import=cohort_import).count() == 3


@contextlib.contextmanager
def registered_meanwhile(data: dict[str, Any]) -> Iterator[None]:
    """Someone else registers this person in a transaction of their own that commits
    only once the import waits for it: the import's chunk cannot see the person
    when it looks for known NIRs, then its insert runs into the unique NIR.

    A real race on PostgreSQL: the other connection holds the new row's unique
    index entry; the import's INSERT waits on it (a lock the other side sees in
    ``pg_locks``), and fails when the other side commits.
    """
    import threading

    from django.db import connection, connections

    main_pid = connection.cursor().connection.info.backend_pid
    inserted = threading.Event()
    failure: list[BaseException] = []

    def other_side() -> None:
        try:
            with transaction.atomic():
                patient_create(data=data)
                inserted.set()
                waiting = connections["default"].cursor()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    waiting.execute(
                        "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [main_pid]
                    )
                    if waiting.fetchone()[0]:
                        break
                    time.sleep(0.02)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failure.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_side)
    thread.start()
    assert inserted.wait(30)
    try:
        yield
    finally:
        thread.join(60)
    assert not failure, failure


ALICE_ELSEWHERE = {
    "nir": ALICE_NIR,
    "birth_names": "MARTIN",
    "given_names": "Alice",
    "birth_date": dt.date(1985, 3, 14),
    "sex": "F",
}


@pytest.mark.django_db(transaction=True)
def test_person_created_by_another_import_meanwhile_counts_unchanged(admin_user: User) -> None:
    """GIVEN Alice is registered by someone else after the chunk looked for known NIRs
    THEN the import counts her unchanged instead of failing or duplicating her."""
    with registered_meanwhile(ALICE_ELSEWHERE):
        cohort_import = run_import(admin_user, csv_file([alice_row(), chloe_row()]))

    assert (cohort_import.created_count, cohort_import.unchanged_count) == (1, 1)
    assert cohort_import.error_count == 0
    assert Patient.objects.filter(nir=ALICE_NIR).count() == 1
    assert Patient.objects.get(nir=ALICE_NIR).given_names == "Alice"


def test_unknown_or_finished_import_is_left_alone(admin_user: User) -> None:
    cohort_import_run(import_id=987654)
    cohort_import = run_import(admin_user, csv_file([alice_row()]))
    finished_at = cohort_import.finished_at

    cohort_import_run(import_id=cohort_import.pk)

    cohort_import.refresh_from_db()
    assert cohort_import.finished_at == finished_at and cohort_import.created_count == 1
    assert Patient.objects.count() == 1


def test_unreadable_stored_file_fails_the_import_with_a_reason(admin_user: User) -> None:
    cohort_import = cohort_import_start(
        by=admin_user, filename="a.csv", content=csv_file([alice_row()])
    )
    default_storage.delete(cohort_import.blob)

    cohort_import_run(import_id=cohort_import.pk)

    cohort_import.refresh_from_db()
    assert cohort_import.state == CohortImportState.FAILED
    assert "ne peut plus être lu" in cohort_import.failure
    assert Patient.objects.count() == 0


def test_progress_selector_reports_counters(admin_user: User) -> None:
    cohort_import = run_import(admin_user, csv_file([alice_row(), bernard_row(sexe="X")]))

    progress = cohort_selectors.cohort_import_progress(import_id=cohort_import.pk)

    assert (progress.state, progress.percent, progress.created, progress.errors) == (
        CohortImportState.DONE,
        100,
        1,
        1,
    )
    errors = cohort_selectors.cohort_import_errors(import_id=cohort_import.pk)
    assert [e.line for e in errors] == [3]


# --- Chunks written in bulk --------------------------------------------------------------------


def _adult_row(i: int, rng: random.Random) -> dict[str, str]:
    day = dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
    sex = "MF"[i % 2]
    return bernard_row(
        nir=make_nir(sex=sex, birth_date=day, rng=rng),
        date_naissance=day.strftime("%d/%m/%Y"),
        sexe=sex,
        nom_naissance=f"NOM{i}",
    )


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_import_writes_for_a_new_person_exactly_what_patient_create_writes(
    admin_user: User, now: dt.datetime
) -> None:
    """GIVEN the import creates its persons in bulk instead of calling patient_create
    WHEN one person is registered each way
    THEN both ways write the same rows in the same tables, with the same values
    (a change to patient_create that the bulk copy misses fails here)."""
    before = _row_counts()
    by_service = patient_create(
        data={"nir": BERNARD_NIR, "birth_names": "DUBOIS", "given_names": "Bernard",
              "birth_date": dt.date(1982, 11, 2), "sex": "M", "address_line1": "12 rue des Lilas",
              "postcode": "75011", "city": "Paris"}
    )  # fmt: skip
    middle = _row_counts()
    run_import(admin_user, csv_file([alice_row()]))
    after = _row_counts()

    cohort_tables = {"optout.CohortImport", "optout.CohortMember"}
    service_delta = {k: middle[k] - before[k] for k in before if middle[k] != before[k]}
    import_delta = {
        k: after[k] - middle[k] for k in after if after[k] != middle[k] and k not in cohort_tables
    }
    assert import_delta == service_delta == {
        "records.Patient": 1, "records.Record": 1, "records.RecordTransition": 1
    }  # fmt: skip
    by_import = Patient.objects.get(nir=ALICE_NIR)
    for patient in (by_service, by_import):
        record = Record.objects.get(patient=patient)
        assert (record.state, record.state_changed_at, record.created_at) == (
            RecordState.CREATED, now, now
        )  # fmt: skip
        transition = RecordTransition.objects.get(record=record)
        assert (transition.from_state, transition.to_state, transition.at) == (
            "", RecordState.CREATED, now
        )  # fmt: skip
        assert (transition.by_id, transition.reason, patient.user_id) == (None, "", None)
        assert patient.created_at == now


def test_chunk_with_known_new_invalid_and_duplicated_people_takes_a_few_queries(
    admin_user: User, django_assert_max_num_queries: Any
) -> None:
    """GIVEN Alice already registered (under other given names) and a file of 60 lines:
    her, 55 new adults, Léo (a minor), a line with a bad postcode, a repeat of Léo
    WHEN the import runs THEN Alice is counted unchanged and left as she was, every
    new person gets one record in state created and one transition, and the chunk's
    queries do not grow with its lines."""
    patient_create(data={"nir": ALICE_NIR, "birth_names": "MARTIN", "given_names": "Alice",
                         "birth_date": dt.date(1985, 3, 14), "sex": "F"})  # fmt: skip
    rng = random.Random(7)
    adults = [_adult_row(i, rng) for i in range(55)]
    rows = [*adults[:20], alice_row(), leo_row(), *adults[20:], chloe_row(code_postal="450")]
    rows.append(leo_row())
    # Queued only: the task runs below, counted.
    cohort_import = cohort_import_start(by=admin_user, filename="a.csv", content=csv_file(rows))

    with django_assert_max_num_queries(21):
        cohort_import_run(import_id=cohort_import.pk)

    cohort_import.refresh_from_db()
    assert cohort_import.state == CohortImportState.DONE
    assert (cohort_import.created_count, cohort_import.unchanged_count) == (56, 1)
    assert (cohort_import.duplicate_count, cohort_import.error_count) == (1, 1)
    assert Patient.objects.get(nir=ALICE_NIR).given_names == "Alice"
    assert Patient.objects.count() == 57
    assert Record.objects.filter(state=RecordState.CREATED).count() == 57
    assert RecordTransition.objects.count() == 57
    assert not Record.objects.filter(transitions__isnull=True).exists()
    members = CohortMember.objects.filter(cohort_import=cohort_import)
    assert set(members.filter(created=False).values_list("patient__nir", flat=True)) == {ALICE_NIR}
    assert members.filter(created=True).count() == 56
    assert sorted(messages_of(cohort_import)) == [59, 60]
    assert "Doublon de la ligne 23" in messages_of(cohort_import)[60]


def test_duplicates_across_chunk_boundaries_are_reported_and_imported_once(
    admin_user: User, settings: Any
) -> None:
    """GIVEN chunks of two lines and Alice's line repeated in the second and third chunks
    THEN she is created once, from her first line, and each repeat is a duplicate."""
    settings.MESSPACE_COHORT_CHUNK_ROWS = 2
    content = csv_file(
        [alice_row(), bernard_row(), chloe_row(), alice_row(), alice_row(prenoms="Alicia")]
    )

    cohort_import = run_import(admin_user, content)

    assert (cohort_import.created_count, cohort_import.duplicate_count) == (3, 2)
    assert (cohort_import.unchanged_count, cohort_import.error_count) == (0, 0)
    assert Patient.objects.filter(nir=ALICE_NIR).count() == 1
    assert Patient.objects.get(nir=ALICE_NIR).given_names == "Alice Marie"
    messages = messages_of(cohort_import)
    assert messages[5] == "Doublon de la ligne 2 : la personne n’est importée qu’une fois."
    assert "Même NIR que la ligne 2 mais avec d’autres données" in messages[6]
    assert Record.objects.count() == RecordTransition.objects.count() == 3


def test_crash_in_the_middle_of_a_chunk_leaves_nothing_of_it_and_resumes(
    admin_user: User, settings: Any, database_refuses: Refuse
) -> None:
    """GIVEN chunks of two lines and a database that fails in the second chunk, after
    its patients, records and transitions were written (on the guardians to
    inform, the chunk's last write) but before its progress
    WHEN the task runs again
    THEN the second chunk was rolled back whole and is done again: each person once,
    with one record and one transition, and Léo's guardians to inform once."""
    settings.MESSPACE_COHORT_CHUNK_ROWS = 2
    lift = database_refuses("records_guardiantoinform", when="INSERT")
    content = csv_file([alice_row(), bernard_row(), leo_row(), chloe_row(), alice_row()])
    with pytest.raises(DatabaseError, match="refused by the test"):
        committed(lambda: cohort_import_start(by=admin_user, filename="a.csv", content=content))
    cohort_import = CohortImport.objects.get()
    assert (cohort_import.state, cohort_import.processed_rows) == (CohortImportState.RUNNING, 2)
    assert sorted(Patient.objects.values_list("nir", flat=True)) == sorted([ALICE_NIR, BERNARD_NIR])
    assert Record.objects.count() == RecordTransition.objects.count() == 2
    assert not GuardianToInform.objects.exists()

    lift()
    cohort_import_run(import_id=cohort_import.pk)

    cohort_import.refresh_from_db()
    assert cohort_import.state == CohortImportState.DONE
    assert (cohort_import.created_count, cohort_import.duplicate_count) == (4, 1)
    assert Patient.objects.count() == Record.objects.count() == RecordTransition.objects.count()
    assert Patient.objects.count() == 4
    assert CohortMember.objects.filter(cohort_import=cohort_import, created=True).count() == 4
    assert sorted(GuardianToInform.objects.values_list("guardian_nir", flat=True)) == sorted(
        [ALICE_NIR, BERNARD_NIR]
    )


def test_guardians_in_the_same_chunk_as_the_child_before_or_after_it(admin_user: User) -> None:
    """GIVEN Léo's line before his parents' lines, in the same chunk
    THEN all three are created and his guardians to inform are his parents' NIRs;
    a child already known gets no new guardians to inform from a later import."""
    cohort_import = run_import(admin_user, csv_file([leo_row(), alice_row(), bernard_row()]))

    assert cohort_import.created_count == 3
    leo = Patient.objects.get(nir=LEO_NIR)
    assert set(
        GuardianToInform.objects.filter(patient=leo, cohort_import=cohort_import).values_list(
            "guardian_nir", flat=True
        )
    ) == {ALICE_NIR, BERNARD_NIR}

    stepfather = make_nir(sex="M", birth_date=dt.date(1980, 5, 5), rng=RNG)
    again = run_import(admin_user, csv_file([leo_row(nir_representant_2=stepfather)]))

    assert (again.created_count, again.unchanged_count) == (0, 1)
    assert GuardianToInform.objects.count() == 2
    assert not GuardianToInform.objects.filter(guardian_nir=stepfather).exists()


@pytest.mark.django_db(transaction=True)
def test_people_registered_meanwhile_send_the_whole_chunk_the_one_by_one_way(
    admin_user: User,
) -> None:
    """GIVEN Alice registered after the chunk looked for known NIRs, so that the
    database refuses the chunk's bulk insert
    THEN the others are still created, each with its record, transition and guardians,
    and Alice is counted unchanged, untouched."""
    with registered_meanwhile(ALICE_ELSEWHERE):
        cohort_import = run_import(
            admin_user, csv_file([bernard_row(), alice_row(), leo_row(), chloe_row()])
        )

    assert (cohort_import.created_count, cohort_import.unchanged_count) == (3, 1)
    assert cohort_import.error_count == 0
    assert Patient.objects.count() == Record.objects.count() == RecordTransition.objects.count()
    assert Patient.objects.count() == 4
    assert Patient.objects.get(nir=ALICE_NIR).given_names == "Alice"
    assert GuardianToInform.objects.filter(patient__nir=LEO_NIR).count() == 2
    assert list(
        CohortMember.objects.filter(cohort_import=cohort_import, created=False).values_list(
            "patient__nir", flat=True
        )
    ) == [ALICE_NIR]


def test_line_refused_by_the_model_checks_is_reported_and_the_chunk_imported(
    admin_user: User,
) -> None:
    """GIVEN an email address the line checks accept but longer than the model's 254 characters
    THEN that line is reported on its column, with the model's reason, and the others created."""
    long_email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "fr"

    cohort_import = run_import(
        admin_user, csv_file([alice_row(), bernard_row(courriel=long_email), chloe_row()])
    )

    assert (cohort_import.created_count, cohort_import.error_count) == (2, 1)
    message = messages_of(cohort_import)[3]
    assert message.startswith("Colonne « courriel » : ")
    assert "254" in message and "311" in message
    assert not Patient.objects.filter(nir=BERNARD_NIR).exists()
    assert Record.objects.count() == RecordTransition.objects.count() == 2
