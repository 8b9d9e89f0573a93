"""Cohort imports: a CSV of insured persons becomes records in state created.

The people of the files: Alice Martin and Bernard Dubois (adults), their son
Léo Martin (a minor, with both as guardians) and Chloé Lefèvre (accents, for
the encodings). The clock is frozen on 1 June 2024 (tests/records/conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.optout import selectors as cohort_selectors
from consent.optout.models import (
    CohortImport,
    CohortImportError,
    CohortImportState,
    CohortMember,
    GuardianToInform,
)
from consent.optout.services.cohorts import cohort_import_run, cohort_import_start
from messpace import vault
from messpace.accounts.models import User
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.models import Patient
from records.services import patient_create
from tests.conftest import Refuse
from tests.factories import UserFactory, make_nir

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


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(
        email="admin@exemple.fr", first_name="Diane", last_name="Admin", is_staff=True,
        is_superuser=True,
    )  # fmt: skip


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


# --- Valid files -------------------------------------------------------------------------------


def test_valid_file_creates_every_person_with_a_record_in_state_created(admin_user: User) -> None:
    content = csv_file([alice_row(), bernard_row(), leo_row(), chloe_row()])

    cohort_import = run_import(admin_user, content)

    assert cohort_import.state == CohortImportState.DONE
    assert (cohort_import.total_rows, cohort_import.processed_rows) == (4, 4)
    assert (cohort_import.created_count, cohort_import.error_count) == (4, 0)
    assert cohort_import.finished_at is not None and cohort_import.started_at is not None
    states = dict(Record.objects.values_list("patient__nir", "state"))
    assert states == {n: RecordState.CREATED for n in (ALICE_NIR, BERNARD_NIR, LEO_NIR, CHLOE_NIR)}
    alice = Patient.objects.get(nir=ALICE_NIR)
    assert (alice.birth_names, alice.given_names, alice.birth_date) == (
        "MARTIN",
        "Alice Marie",
        dt.date(1985, 3, 14),
    )
    assert (alice.phone, alice.email, alice.country) == ("+33612345678", "alice@exemple.fr", "FR")
    assert RecordTransition.objects.filter(to_state=RecordState.CREATED).count() == 4
    assert CohortMember.objects.filter(cohort_import=cohort_import, created=True).count() == 4
    leo = Patient.objects.get(nir=LEO_NIR)
    assert set(
        GuardianToInform.objects.filter(patient=leo).values_list("guardian_nir", flat=True)
    ) == {ALICE_NIR, BERNARD_NIR}
    # Adults have no guardians to inform.
    assert GuardianToInform.objects.count() == 2


def test_csv_is_encrypted_at_rest_until_the_import_is_done(admin_user: User) -> None:
    # GIVEN a queued import (its task runs only after the commit, not here)
    cohort_import = cohort_import_start(
        by=admin_user, filename="assures.csv", content=csv_file([alice_row()])
    )
    # THEN the stored blob holds no clear personal data
    with default_storage.open(cohort_import.blob, "rb") as fh:
        stored = fh.read()
    assert ALICE_NIR.encode() not in stored and b"MARTIN" not in stored
    assert cohort_import.state == CohortImportState.QUEUED
    # WHEN it runs THEN the file is deleted, the figures stay
    cohort_import_run(import_id=cohort_import.pk)
    cohort_import.refresh_from_db()
    assert cohort_import.state == CohortImportState.DONE and cohort_import.blob == ""
    assert "optout.CohortImport" in [m.label for m in vault.sealed_models()]


def test_reimporting_the_same_file_creates_nothing_and_counts_unchanged(admin_user: User) -> None:
    content = csv_file([alice_row(), bernard_row(), leo_row()])
    run_import(admin_user, content)
    counts = (Patient.objects.count(), Record.objects.count(), RecordTransition.objects.count())

    again = run_import(
        admin_user, csv_file([alice_row(nom_usage="DURAND"), bernard_row(), leo_row()])
    )

    assert (again.created_count, again.unchanged_count, again.error_count) == (0, 3, 0)
    assert (
        Patient.objects.count(),
        Record.objects.count(),
        RecordTransition.objects.count(),
    ) == counts
    # Nothing is updated, even where the new file says something else.
    assert Patient.objects.get(nir=ALICE_NIR).used_name == ""
    assert GuardianToInform.objects.count() == 2
    # The second batch still names the people it mentioned, for a campaign filter.
    assert CohortMember.objects.filter(cohort_import=again, created=False).count() == 3


def test_windows_1252_file_with_accents_is_read_correctly(admin_user: User) -> None:
    content = csv_text([chloe_row()]).replace("’", "'").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    cohort_import = run_import(admin_user, content)

    assert cohort_import.encoding == "Windows-1252"
    chloe = Patient.objects.get(nir=CHLOE_NIR)
    assert (chloe.birth_names, chloe.used_name, chloe.given_names) == (
        "LEFÈVRE",
        "NOËL",
        "Chloé Hélène",
    )
    assert (chloe.city, chloe.address_line2) == ("Orléans", "Bâtiment Œ")


def test_utf8_file_with_bom_and_commas_is_imported(admin_user: User) -> None:
    content = b"\xef\xbb\xbf" + csv_file([chloe_row(), alice_row()], delimiter=",")

    cohort_import = run_import(admin_user, content)

    assert (cohort_import.encoding, cohort_import.created_count) == ("UTF-8", 2)
    assert Patient.objects.get(nir=CHLOE_NIR).given_names == "Chloé Hélène"


def test_optional_columns_may_be_absent_and_headers_are_case_insensitive(admin_user: User) -> None:
    header = ["NIR", "Nom_Naissance", "prenoms", "date naissance", "sexe", "adresse1"]
    header += ["code_postal", "ville"]
    row = alice_row() | {
        "NIR": ALICE_NIR,
        "Nom_Naissance": "MARTIN",
        "date naissance": "14/03/1985",
    }

    cohort_import = run_import(admin_user, csv_file([row], header=header))

    assert cohort_import.created_count == 1
    assert Patient.objects.get(nir=ALICE_NIR).email == ""


# --- Bad lines ---------------------------------------------------------------------------------


def test_nir_with_a_wrong_key_is_reported_and_other_lines_are_imported(admin_user: User) -> None:
    wrong_key = BERNARD_NIR[:13] + f"{(int(BERNARD_NIR[13:]) % 97) + 1:02d}"
    content = csv_file([alice_row(), bernard_row(nir=wrong_key), chloe_row()])

    cohort_import = run_import(admin_user, content)

    assert (cohort_import.created_count, cohort_import.error_count) == (2, 1)
    error = CohortImportError.objects.get(cohort_import=cohort_import)
    assert error.line == 3
    assert "« nir »" in error.message and "clé" in error.message
    assert error.nir_masked == "…" + wrong_key[-4:]
    assert wrong_key not in error.message
    assert not Patient.objects.filter(nir=wrong_key).exists()
    assert set(Patient.objects.values_list("nir", flat=True)) == {ALICE_NIR, CHLOE_NIR}


def test_nir_inconsistent_with_birth_date_or_sex_is_reported(admin_user: User) -> None:
    content = csv_file(
        [
            alice_row(date_naissance="14/03/1986"),  # year 86, NIR says 85
            bernard_row(date_naissance="02/10/1982"),  # month 10, NIR says 11
            chloe_row(sexe="M"),  # NIR starts with 2
        ]
    )

    cohort_import = run_import(admin_user, content)

    assert (cohort_import.created_count, cohort_import.error_count) == (0, 3)
    messages = messages_of(cohort_import)
    assert "année de naissance codée (85)" in messages[2]
    assert "mois de naissance codé (11)" in messages[3]
    assert "premier chiffre (2)" in messages[4] and "sexe" in messages[4]
    assert Patient.objects.count() == 0


def test_duplicated_lines_are_reported_and_imported_once(admin_user: User) -> None:
    content = csv_file([alice_row(), bernard_row(), alice_row(), alice_row(prenoms="Alicia")])

    cohort_import = run_import(admin_user, content)

    assert Patient.objects.filter(nir=ALICE_NIR).count() == 1
    assert (cohort_import.created_count, cohort_import.duplicate_count) == (2, 2)
    assert cohort_import.error_count == 0
    messages = messages_of(cohort_import)
    assert messages[4] == "Doublon de la ligne 2 : la personne n’est importée qu’une fois."
    assert "Même NIR que la ligne 2 mais avec d’autres données" in messages[5]
    assert Patient.objects.get(nir=ALICE_NIR).given_names == "Alice Marie"


def test_markup_and_html_in_fields_are_refused(admin_user: User) -> None:
    content = csv_file(
        [
            alice_row(nom_naissance="<script>alert(1)</script>"),
            bernard_row(ville='<img src=x onerror="alert(1)">'),
            chloe_row(),
        ]
    )

    cohort_import = run_import(admin_user, content)

    messages = messages_of(cohort_import)
    assert "« nom_naissance » : les balises HTML" in messages[2]
    assert "« ville » : les balises HTML" in messages[3]
    assert "<script>" not in messages[2]
    assert list(Patient.objects.values_list("nir", flat=True)) == [CHLOE_NIR]
    assert not Patient.objects.filter(birth_names__contains="<").exists()


def test_bad_or_implausible_dates_are_reported(admin_user: User) -> None:
    content = csv_file(
        [
            alice_row(date_naissance="31/02/1985"),
            bernard_row(date_naissance="2082-11-02"),
            chloe_row(date_naissance="25-01-1990"),
        ]
    )

    cohort_import = run_import(admin_user, content)

    messages = messages_of(cohort_import)
    assert "« date_naissance » : « 31/02/1985 » n’est pas une date valide" in messages[2]
    assert "dans le futur" in messages[3]
    assert "JJ/MM/AAAA ou AAAA-MM-JJ" in messages[4]
    assert Patient.objects.count() == 0


def test_contact_and_guardian_errors_name_their_column(admin_user: User) -> None:
    content = csv_file(
        [
            alice_row(code_postal="7501", courriel="alice@", telephone="12"),
            leo_row(nir_representant_1=LEO_NIR),
            leo_row(nir=make_nir(sex="M", birth_date=dt.date(2016, 1, 3), rng=RNG),
                    date_naissance="03/01/2016", nir_representant_2="123"),
            bernard_row(sexe="X", prenoms=""),
        ]
    )  # fmt: skip

    cohort_import = run_import(admin_user, content)

    messages = messages_of(cohort_import)
    assert "« code_postal » : un code postal français comporte 5 chiffres" in messages[2]
    assert "« courriel » : adresse électronique non valide" in messages[2]
    assert "« telephone »" in messages[2]
    assert "« nir_representant_1 » : c’est le NIR de l’enfant lui-même" in messages[3]
    assert "« nir_representant_2 »" in messages[4] and "15 caractères" in messages[4]
    assert "« sexe » : « X » n’est pas reconnu" in messages[5]
    assert "« prenoms » : valeur manquante" in messages[5]
    assert (cohort_import.created_count, cohort_import.error_count) == (0, 4)


# --- Bad files ---------------------------------------------------------------------------------


def test_missing_required_column_refuses_the_whole_file(admin_user: User) -> None:
    header = [name for name in HEADER if name not in ("sexe", "ville")]
    content = csv_file([alice_row(), bernard_row()], header=header)

    with pytest.raises(ValidationError) as refused:
        committed(lambda: cohort_import_start(by=admin_user, filename="a.csv", content=content))

    assert "Colonnes obligatoires absentes : sexe, ville." in refused.value.messages[0]
    assert CohortImport.objects.count() == 0
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "Le fichier est vide."),
        (b"  \r\n", "Le fichier est vide."),
        (";".join(HEADER).encode() + b"\r\n", "ne contient que la ligne d’en-tête"),
        (b"nir nom prenoms\r\n1 2 3\r\n", "Séparateur introuvable"),
        ("nir;nom".encode("utf-16-le") + b"\x00\xd8", "L’encodage du fichier n’est pas reconnu"),
        (b"nir;nom\x00;x\r\n", "données binaires"),
    ],
    ids=["empty", "blank", "header-only", "no-separator", "bad-utf16", "binary"],
)
def test_unusable_file_is_refused_with_a_precise_message(
    admin_user: User, content: bytes, expected: str
) -> None:
    if expected.startswith("L’encodage"):
        content = b"\xff\xfe" + content
    with pytest.raises(ValidationError) as refused:
        cohort_import_start(by=admin_user, filename="a.csv", content=content)

    assert expected in refused.value.messages[0]
    assert CohortImport.objects.count() == 0


def _big_file(target_bytes: int) -> tuple[bytes, int]:
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


def test_50_mb_file_is_accepted_and_counted_and_a_bigger_one_refused_precisely(
    admin_user: User, settings: Any
) -> None:
    content, rows = _big_file(50 * 1024 * 1024)
    assert len(content) >= 50 * 1024 * 1024

    cohort_import = cohort_import_start(by=admin_user, filename="national.csv", content=content)

    assert (cohort_import.total_rows, cohort_import.state) == (rows, CohortImportState.QUEUED)
    assert cohort_import.size == len(content)
    settings.MESSPACE_COHORT_MAX_BYTES = 40 * 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        cohort_import_start(by=admin_user, filename="national.csv", content=content)
    assert refused.value.messages[0].startswith("Le fichier pèse 50,")
    assert "taille maximale de 40,0 Mo" in refused.value.messages[0]
    assert CohortImport.objects.count() == 1


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


# --- Admin pages -------------------------------------------------------------------------------


def test_admin_uploads_a_file_and_follows_its_progress(
    client: Client, login: Login, admin_user: User
) -> None:
    client = login(client, admin_user)
    url = reverse("admin:optout_cohortimport_add")
    page = client.get(url)
    assertContains(page, "Colonnes obligatoires")
    upload = SimpleUploadedFile(
        "../../assures<1>.csv", csv_file([alice_row(), bernard_row(sexe="X")]), "text/csv"
    )

    response = committed(lambda: client.post(url, {"file": upload}))

    cohort_import = CohortImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:optout_cohortimport_change", args=[cohort_import.pk]
    )
    assert cohort_import.filename == "assures_1_.csv"
    assert cohort_import.by == admin_user
    assert list(Patient.objects.values_list("nir", flat=True)) == [ALICE_NIR]
    detail = client.get(response["Location"])
    assertContains(detail, "Terminé")
    assertContains(detail, "« sexe » : « X » n’est pas reconnu")
    assertContains(detail, "…" + BERNARD_NIR[-4:])
    assertNotContains(detail, BERNARD_NIR)
    listing = client.get(reverse("admin:optout_cohortimport_changelist"))
    assertContains(listing, "assures_1_.csv")


def test_admin_upload_of_a_bad_file_shows_the_reason_and_stores_nothing(
    client: Client, login: Login, admin_user: User
) -> None:
    client = login(client, admin_user)
    header = [name for name in HEADER if name != "nir"]
    upload = SimpleUploadedFile("a.csv", csv_file([alice_row()], header=header), "text/csv")

    response = committed(
        lambda: client.post(reverse("admin:optout_cohortimport_add"), {"file": upload})
    )

    assert response.status_code == 200
    assertContains(response, "Colonnes obligatoires absentes : nir.")
    assertContains(response, "rien n’a été importé")
    assert CohortImport.objects.count() == 0 and Patient.objects.count() == 0


def test_admin_upload_over_the_limit_is_cut_off_with_a_precise_message(
    client: Client, login: Login, admin_user: User, settings: Any
) -> None:
    settings.MESSPACE_COHORT_MAX_BYTES = 2048
    client = login(client, admin_user)
    content, _rows = _big_file(4096)
    upload = SimpleUploadedFile("a.csv", content[:200_000], "text/csv")

    response = client.post(reverse("admin:optout_cohortimport_add"), {"file": upload})

    assert response.status_code == 200
    assertContains(response, "dépasse la taille maximale de 2 Ko")
    assert CohortImport.objects.count() == 0


def test_non_staff_user_cannot_reach_the_upload_page(
    client: Client, login: Login, alice: Patient
) -> None:
    assert alice.user is not None
    client = login(client, alice.user)
    url = reverse("admin:optout_cohortimport_add")
    upload = SimpleUploadedFile("a.csv", csv_file([bernard_row()]), "text/csv")

    page = client.get(url)
    posted = committed(lambda: client.post(url, {"file": upload}))

    assert page.status_code == 302 and posted.status_code == 302
    assert CohortImport.objects.count() == 0
    assert not Patient.objects.filter(nir=BERNARD_NIR).exists()


def test_staff_without_the_add_permission_is_refused(
    client: Client, login: Login, db: None
) -> None:
    clerk = UserFactory(email="clerk@exemple.fr", is_staff=True)
    client = login(client, clerk)

    response = client.get(reverse("admin:optout_cohortimport_add"))

    assert response.status_code == 403


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
