"""Cohort imports: what a CSV of insured persons must hold, line by line and as a file.

Valid files become records in state created; bad lines are reported and skipped;
unusable files are refused whole.
The people of the files are in ``cohorts.py``; the clock is frozen on 1 June 2024
(tests/records/conftest.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

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
from tests.consent.optout.cohorts import (
    ALICE_NIR,
    BERNARD_NIR,
    CHLOE_NIR,
    HEADER,
    LEO_NIR,
    RNG,
    alice_row,
    bernard_row,
    big_file,
    chloe_row,
    committed,
    csv_file,
    csv_text,
    leo_row,
    messages_of,
    run_import,
)
from tests.factories import make_nir

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


def test_50_mb_file_is_accepted_and_counted_and_a_bigger_one_refused_precisely(
    admin_user: User, settings: Any
) -> None:
    content, rows = big_file(50 * 1024 * 1024)
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
