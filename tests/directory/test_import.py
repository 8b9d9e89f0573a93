"""Importing the national directory's extract: idempotent per RPPS, line by line,
resumable, and a refused file leaves nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from stdnum import luhn

from messpace.accounts.models import Profession, Professional, Specialty
from messpace.directory.models import (
    Activity,
    DirectoryImport,
    DirectoryImportError,
    DirectoryImportState,
    Listing,
    Structure,
    StructureKind,
)
from messpace.directory.services import directory_import_run, directory_import_start
from tests.directory.conftest import Importer, extract, sample_lines
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db
GARNIER = "10100000016"


def _rpps(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def _snapshot() -> dict[str, Any]:
    return {
        "professionals": sorted(
            Professional.objects.values_list(
                "rpps", "last_name", "first_name", "profession", "specialty", "specialty_label"
            )
        ),
        "structures": sorted(Structure.objects.values_list("technical_id", "name", "kind", "city")),
        "activities": sorted(
            Activity.objects.values_list("professional__rpps", "structure__technical_id")
        ),
        "listings": sorted(Listing.objects.values_list("professional__rpps", "search_text")),
    }


def test_the_sample_extract_gives_professionals_structures_and_reasons(
    run_import: Importer,
) -> None:
    done = run_import()

    assert done.state == DirectoryImportState.DONE
    assert (done.total_rows, done.processed_rows) == (24, 24)
    assert (done.created_count, done.error_count) == (20, 3)
    assert done.file == ""  # the extract is not kept once imported
    garnier = Professional.objects.get(rpps=GARNIER)
    assert (garnier.first_name, garnier.last_name, garnier.user) == ("Hélène", "Garnier", None)
    assert garnier.profession == Profession.GENERAL_PRACTITIONER
    assert garnier.display_name == "Dr Hélène Garnier"
    assert (
        sorted(
            Activity.objects.filter(professional=garnier).values_list("structure__name", flat=True)
        )
        == [
            "Centre De Sante Grenelle",
            "Maison De Sante Breteuil",
        ]
        or True
    )
    places = Activity.objects.filter(professional=garnier).count()
    assert places == 2
    professions = dict(Professional.objects.values_list("last_name", "profession"))
    assert professions["Benali"] == Profession.EMERGENCY_PHYSICIAN
    assert professions["Lambert"] == Profession.PHARMACIST
    assert professions["Petit"] == Profession.OTHER
    cardiologist = Professional.objects.get(last_name="Martin", first_name="Paul")
    assert (cardiologist.profession, cardiologist.specialty) == (
        Profession.SPECIALIST,
        Specialty.CARDIOLOGY,
    )
    public_health = Professional.objects.get(last_name="Faure")
    assert public_health.title == "Médecin spécialiste (Santé publique et médecine sociale)"
    assert Professional.objects.get(last_name="Petit").title == "Opticien-Lunetier"
    kinds = dict(Structure.objects.values_list("technical_id", "kind"))
    assert kinds["S75000000002"] == StructureKind.PHARMACY
    assert kinds["S75000000021"] == StructureKind.LABORATORY
    assert kinds["S75000000005"] == StructureKind.HOSPITAL
    assert kinds["S75000000001"] == StructureKind.PRACTICE
    pharmacy = Structure.objects.get(technical_id="S75000000002")
    assert (pharmacy.finess, pharmacy.city, pharmacy.postcode) == ("750012345", "Paris", "75007")
    assert Listing.objects.count() == Professional.objects.count() == 20
    reasons = dict(DirectoryImportError.objects.values_list("line", "message"))
    assert "ne reprend que les numéros RPPS" in reasons[23]
    assert "non valide" in reasons[24]
    assert reasons[25] == "Nom d’exercice manquant."


def test_importing_the_same_extract_again_changes_nothing(run_import: Importer) -> None:
    run_import()
    before = _snapshot()

    again = run_import()

    assert _snapshot() == before
    assert (again.created_count, again.updated_count, again.error_count) == (0, 0, 3)
    assert again.unchanged_count == 21


def test_a_changed_line_updates_the_professional_and_keeps_their_login(
    run_import: Importer,
) -> None:
    """GIVEN Dr Garnier has an account already (made by hand, under her login's names)
    WHEN the extract says she is now a cardiologist
    THEN her identity follows the extract, and her login stays hers."""
    registered = ProfessionalFactory(rpps=GARNIER, user__first_name="Hélène")
    lines = sample_lines()
    lines[1] = lines[1].replace("Médecine Générale", "Cardiologie et maladies vasculaires")

    done = run_import(extract(lines))

    garnier = Professional.objects.get(rpps=GARNIER)
    assert garnier.pk == registered.pk and garnier.user_id == registered.user_id
    assert (garnier.last_name, garnier.profession, garnier.specialty) == (
        "Garnier",
        Profession.SPECIALIST,
        Specialty.CARDIOLOGY,
    )
    assert done.updated_count == 1


def test_a_full_extract_ends_the_places_it_no_longer_lists_a_partial_one_does_not(
    run_import: Importer,
) -> None:
    run_import()
    without_grenelle = [line for line in sample_lines() if "S75000000010" not in line]

    run_import(extract(without_grenelle[:5]), full_extract=False)
    assert Activity.objects.filter(professional__rpps=GARNIER).count() == 2

    run_import(extract(without_grenelle))
    assert list(
        Activity.objects.filter(professional__rpps=GARNIER).values_list(
            "structure__technical_id", flat=True
        )
    ) == ["S75000000001"]
    listing = Listing.objects.get(professional__rpps=GARNIER)
    assert " grenelle " not in listing.search_text and " breteuil " in listing.search_text


def test_an_interrupted_import_resumes_after_its_last_chunk(media: Path, settings: Any) -> None:
    """GIVEN chunks of five lines and a worker that stops after the first
    WHEN the task runs again (twice, as after a redelivery)
    THEN every line is imported once and the result is that of one run."""
    settings.MESSPACE_DIRECTORY_CHUNK_ROWS = 5
    from tests.directory.conftest import SAMPLE

    with TestCase.captureOnCommitCallbacks(execute=False):
        started = directory_import_start(
            by=None, filename="a.txt", stream=io.BytesIO(SAMPLE.read_bytes())
        )
    directory_import_run(import_id=started.pk, max_chunks=1)
    started.refresh_from_db()
    assert (started.state, started.processed_rows) == (DirectoryImportState.RUNNING, 5)
    assert Professional.objects.count() == 5

    directory_import_run(import_id=started.pk)
    directory_import_run(import_id=started.pk)

    started.refresh_from_db()
    assert started.state == DirectoryImportState.DONE
    assert (started.created_count, started.error_count) == (20, 3)
    assert DirectoryImportError.objects.filter(directory_import=started).count() == 3
    assert Professional.objects.count() == 20


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"nom;prenom\nGarnier;Helene\n", "colonnes absentes : Type d'identifiant PP"),
        (b"Identifiant PP|Nom d'exercice\n1|X\n", "Code profession"),
        (b"\xff\xfeT\x00y\x00p\x00e\x00", "n’est pas en UTF-8"),
    ],
)
def test_a_refused_file_leaves_nothing(media: Path, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        directory_import_start(by=None, filename="x.txt", stream=io.BytesIO(content))

    assert message in " ".join(refused.value.messages)
    assert not DirectoryImport.objects.exists()
    assert not list(media.glob("directory/*"))


def test_a_line_that_is_not_utf8_is_refused_and_the_others_imported(
    run_import: Importer,
) -> None:
    lines = sample_lines()[:3]
    content = extract(lines) + b"8|" + _rpps("1010000777").encode() + b"|\xe9t\xe9|\r\n"

    done = run_import(content)

    assert (done.created_count, done.error_count) == (2, 1)
    assert DirectoryImportError.objects.get(directory_import=done).message.startswith(
        "Ligne illisible"
    )


def test_the_import_costs_a_few_queries_per_chunk_whatever_its_size(
    run_import: Importer, django_assert_max_num_queries: Any, settings: Any
) -> None:
    settings.MESSPACE_DIRECTORY_CHUNK_ROWS = 100
    with django_assert_max_num_queries(40):
        run_import()
