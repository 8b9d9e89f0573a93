"""The directory in the console: importing the extract, structures of the admins'
own, and members, which a full extract keeps; every refusal precise and harmless."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messpace.accounts.models import User
from messpace.directory.models import Activity, DirectoryImport, Listing, Structure
from tests.directory.conftest import SAMPLE, Importer, extract, sample_lines
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db
Login = Callable[[Client, User], Client]

GARNIER = "10100000016"
BRETEUIL = "S75000000001"


@pytest.fixture
def admin(client: Client, login: Login) -> Client:
    return login(client, UserFactory(email="diane@exemple.fr", is_staff=True))


def test_an_admin_imports_the_extract_and_follows_it(admin: Client, media: Path) -> None:
    url = reverse("console-directory:import_new")
    upload = SimpleUploadedFile("PS_LibreAcces.txt", SAMPLE.read_bytes(), "text/plain")

    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = admin.post(url, {"file": upload, "full_extract": "on"})

    directory_import = DirectoryImport.objects.get()
    assert posted.status_code == 302
    assert posted["Location"] == reverse("console-directory:import", args=[directory_import.pk])
    page = admin.get(posted["Location"])
    assertContains(page, "Terminé : 100 %")
    assertNotContains(page, 'hx-trigger="every 3s"')
    assertContains(page, "Lignes refusées")
    errors = list(directory_import.errors.order_by("line").values_list("message", flat=True))
    assert errors and errors[0] in page.content.decode()
    listing = admin.get(reverse("console-directory:imports"))
    assertContains(listing, "PS_LibreAcces.txt")


def test_a_file_without_the_header_is_refused_and_nothing_stored(
    admin: Client, media: Path
) -> None:
    upload = SimpleUploadedFile("x.txt", b"nom|prenom\nA|B\n", "text/plain")

    response = admin.post(reverse("console-directory:import_new"), {"file": upload})

    assert response.status_code == 200
    assertContains(response, "rien n’a été importé")
    assert response.context["form"].errors["file"]
    assert not DirectoryImport.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_an_extract_over_the_limit_is_cut_off_with_a_precise_message(
    admin: Client, media: Path, settings: Any
) -> None:
    settings.MESSPACE_DIRECTORY_MAX_BYTES = 2048
    upload = SimpleUploadedFile("big.txt", SAMPLE.read_bytes(), "text/plain")

    response = admin.post(reverse("console-directory:import_new"), {"file": upload})

    assert response.status_code == 200
    assert "dépasse la taille maximale de 2 Ko" in " ".join(response.context["form"].errors["file"])
    assert not DirectoryImport.objects.exists()


def test_an_admin_makes_a_structure_and_declares_a_member_whom_a_full_extract_keeps(
    admin: Client, run_import: Importer
) -> None:
    """GIVEN the sample imported WHEN an admin creates a hospital department and
    declares Dr Garnier a member THEN her listing names it, and the next full
    extract keeps her there (it never listed her there) while it ends the
    places it no longer lists."""
    run_import()
    created = admin.post(
        reverse("console-directory:structure_new"),
        {
            "kind": "hospital",
            "name": " Service de  cardiologie ",
            "finess": "750712184",
            "siret": "",
            "postcode": "75013",
            "city": "Paris",
            "phone": "01 42 16 00 00",
        },
    )
    structure = Structure.objects.get(name="Service de cardiologie")
    assert created["Location"] == reverse("console-directory:structure", args=[structure.pk])
    assert structure.technical_id.startswith("MSP-") and structure.phone == "+33142160000"

    added = admin.post(
        reverse("console-directory:member_add", args=[structure.pk]),
        {"rpps": "101 0000 0016", "mode": "Salarié"},
    )
    twice = admin.post(
        reverse("console-directory:member_add", args=[structure.pk]), {"rpps": GARNIER}
    )

    assert added.status_code == 302
    assert twice.status_code == 400
    assertContains(twice, "est déjà membre de cette structure", status_code=400)
    member = Activity.objects.get(structure=structure)
    assert member.declared_at is not None and member.mode == "Salarié"
    assert " cardiologie " in Listing.objects.get(professional__rpps=GARNIER).search_text
    page = admin.get(reverse("console-directory:structure", args=[structure.pk]))
    assertContains(page, "Déclaré dans la console le")

    without_grenelle = [line for line in sample_lines() if "S75000000010" not in line]
    run_import(extract(without_grenelle))
    assert sorted(
        Activity.objects.filter(professional__rpps=GARNIER).values_list(
            "structure__technical_id", flat=True
        )
    ) == sorted([BRETEUIL, structure.technical_id])


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"name": ""}, "name", "Indiquez le nom de la structure."),
        ({"kind": "castle"}, "kind", "Choisissez le type de la structure dans la liste."),
        ({"siret": "12345678901234"}, "siret", "Ce SIRET n’est pas valide"),
        ({"finess": "75A712184"}, "finess", "Le numéro FINESS comporte 9 caractères"),
        ({"postcode": "750"}, "postcode", "Le code postal comporte 5 chiffres."),
        ({"phone": "12"}, "phone", "Ce numéro de téléphone n’est pas valide."),
    ],
)
def test_a_wrong_structure_is_refused_field_by_field(
    admin: Client, posted: dict[str, str], field: str, message: str
) -> None:
    data = {"kind": "practice", "name": "Cabinet", **posted}

    response = admin.post(reverse("console-directory:structure_new"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Structure.objects.exists()


def test_a_member_needs_a_valid_known_rpps(admin: Client, run_import: Importer) -> None:
    run_import()
    structure = Structure.objects.get(technical_id=BRETEUIL)
    url = reverse("console-directory:member_add", args=[structure.pk])
    before = Activity.objects.count()

    wrong_key = admin.post(url, {"rpps": "10100000017"})
    unknown = admin.post(url, {"rpps": "10000000009"})

    assertContains(wrong_key, "sa clé de contrôle ne correspond pas", status_code=400)
    assertContains(
        unknown, "Aucun professionnel de l’annuaire n’a le RPPS 10000000009", status_code=400
    )
    assert Activity.objects.count() == before


def test_a_structure_of_the_extract_is_not_edited_here_its_members_are(
    admin: Client, run_import: Importer
) -> None:
    run_import()
    structure = Structure.objects.get(technical_id=BRETEUIL)
    name = structure.name
    member = Activity.objects.filter(structure=structure).first()
    assert member is not None

    page = admin.get(reverse("console-directory:structure", args=[structure.pk]))
    edit = admin.post(
        reverse("console-directory:structure_edit", args=[structure.pk]),
        {"kind": "practice", "name": "Autre nom"},
    )
    removed = admin.post(reverse("console-directory:member_remove", args=[structure.pk, member.pk]))
    again = admin.post(reverse("console-directory:member_remove", args=[structure.pk, member.pk]))

    assertContains(page, "Annuaire national (identifiant S75000000001)")
    assertNotContains(page, reverse("console-directory:structure_edit", args=[structure.pk]))
    assertContains(edit, "Cette structure vient de l’annuaire national", status_code=400)
    assert Structure.objects.get(pk=structure.pk).name == name
    assert removed.status_code == 302 and again.status_code == 404
    assert not Activity.objects.filter(pk=member.pk).exists()


def test_an_own_structure_is_edited_and_its_members_listings_follow(
    admin: Client, run_import: Importer
) -> None:
    run_import()
    user = User.objects.get(email="diane@exemple.fr")
    from messpace.directory import structures

    structure = structures.structure_create(by=user, kind="other", name="Équipe mobile")
    structures.member_add(structure=structure, by=user, rpps=GARNIER)

    saved = admin.post(
        reverse("console-directory:structure_edit", args=[structure.pk]),
        {"kind": "hospital", "name": "Équipe mobile de gériatrie", "city": "Lyon"},
    )

    assert saved.status_code == 302
    assert Structure.objects.get(pk=structure.pk).city == "Lyon"
    assert " geriatrie " in Listing.objects.get(professional__rpps=GARNIER).search_text


def test_the_structure_search_finds_by_word_and_by_number(
    admin: Client, run_import: Importer
) -> None:
    run_import()
    structure = Structure.objects.get(technical_id=BRETEUIL)

    by_word = admin.get(reverse("console-directory:structures"), {"q": "breteuil"})
    none = admin.get(reverse("console-directory:structures"), {"q": "zzzz"})

    assertContains(by_word, reverse("console-directory:structure", args=[structure.pk]))
    assertContains(by_word, "1 structure trouvée")
    assertContains(none, "Aucune structure ne correspond à cette recherche.")
    if structure.siret:
        by_siret = admin.get(reverse("console-directory:structures"), {"q": structure.siret})
        assertContains(by_siret, structure.name)


def test_the_directory_pages_are_the_admins_alone(
    login: Login, run_import: Importer, db: Any
) -> None:
    run_import()
    structure = Structure.objects.get(technical_id=BRETEUIL)
    agent = login(Client(), UserFactory(email="nadia@exemple.fr", is_support_agent=True))
    professional = ProfessionalFactory()
    pro = login(Client(), professional.user)
    urls = [
        reverse("console-directory:imports"),
        reverse("console-directory:import_new"),
        reverse("console-directory:structures"),
        reverse("console-directory:structure", args=[structure.pk]),
    ]
    before = Activity.objects.count()

    for client in (agent, pro):
        assert [client.get(url).status_code for url in urls] == [404] * len(urls)
        posted = client.post(
            reverse("console-directory:member_add", args=[structure.pk]),
            {"rpps": professional.rpps},
        )
        assert posted.status_code == 404
    assert Activity.objects.count() == before
