"""Cohort imports in the console: upload, progress, refusals and roles.
The people of the files are in ``cohorts.py``; the clock is frozen on 1 June 2024
(tests/records/conftest.py).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.optout.models import CohortImport
from messpace.accounts.models import User
from records.models import Patient
from tests.consent.optout.cohorts import (
    ALICE_NIR,
    BERNARD_NIR,
    HEADER,
    Login,
    alice_row,
    bernard_row,
    big_file,
    committed,
    csv_file,
)

# --- Console pages -------------------------------------------------------------------------------


def test_admin_uploads_a_file_and_follows_its_progress(
    client: Client, login: Login, admin_user: User
) -> None:
    client = login(client, admin_user)
    url = reverse("console-optout:cohort_new")
    page = client.get(url)
    assertContains(page, "Colonnes obligatoires")
    upload = SimpleUploadedFile(
        "../../assures<1>.csv", csv_file([alice_row(), bernard_row(sexe="X")]), "text/csv"
    )

    response = committed(lambda: client.post(url, {"file": upload}))

    cohort_import = CohortImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console-optout:cohort", args=[cohort_import.pk])
    assert cohort_import.filename == "assures_1_.csv"
    assert cohort_import.by == admin_user
    assert list(Patient.objects.values_list("nir", flat=True)) == [ALICE_NIR]
    detail = client.get(response["Location"])
    assertContains(detail, "Terminé")
    assertContains(detail, "« sexe » : « X » n’est pas reconnu")
    assertContains(detail, "…" + BERNARD_NIR[-4:])
    assertNotContains(detail, BERNARD_NIR)
    listing = client.get(reverse("console-optout:cohorts"))
    assertContains(listing, "assures_1_.csv")


def test_admin_upload_of_a_bad_file_shows_the_reason_and_stores_nothing(
    client: Client, login: Login, admin_user: User
) -> None:
    client = login(client, admin_user)
    header = [name for name in HEADER if name != "nir"]
    upload = SimpleUploadedFile("a.csv", csv_file([alice_row()], header=header), "text/csv")

    response = committed(
        lambda: client.post(reverse("console-optout:cohort_new"), {"file": upload})
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
    content, _rows = big_file(4096)
    upload = SimpleUploadedFile("a.csv", content[:200_000], "text/csv")

    response = client.post(reverse("console-optout:cohort_new"), {"file": upload})

    assert response.status_code == 200
    assertContains(response, "dépasse la taille maximale de 2 Ko")
    assert CohortImport.objects.count() == 0


def test_non_staff_user_cannot_reach_the_upload_page(
    client: Client, login: Login, alice: Patient
) -> None:
    assert alice.user is not None
    client = login(client, alice.user)
    url = reverse("console-optout:cohort_new")
    upload = SimpleUploadedFile("a.csv", csv_file([bernard_row()]), "text/csv")

    page = client.get(url)
    posted = committed(lambda: client.post(url, {"file": upload}))

    assert page.status_code == 404 and posted.status_code == 404
    assert CohortImport.objects.count() == 0
    assert not Patient.objects.filter(nir=BERNARD_NIR).exists()


def test_a_running_import_polls_its_counters_and_can_be_resumed(
    client: Client, login: Login, admin_user: User
) -> None:
    """GIVEN an import whose message was lost (queued, nothing done) WHEN the
    admin opens it THEN the page polls its counters (htmx fragment) and offers
    to resume; resuming runs it to the end, and resuming again changes nothing."""
    from consent.optout.services import cohorts as cohort_services

    cohort_import = cohort_services.cohort_import_start(
        by=admin_user, filename="a.csv", content=csv_file([alice_row()])
    )  # no on_commit here: the task was never queued
    client = login(client, admin_user)
    url = reverse("console-optout:cohort", args=[cohort_import.pk])

    page = client.get(url)
    fragment = client.get(url, {"part": "progress"}, headers={"HX-Request": "true"})
    resumed = committed(
        lambda: client.post(reverse("console-optout:cohort_resume", args=[cohort_import.pk]))
    )
    again = client.post(
        reverse("console-optout:cohort_resume", args=[cohort_import.pk]), follow=True
    )

    assertContains(page, 'hx-trigger="every 3s"')
    assertContains(page, "Reprendre l’import")
    assertContains(fragment, "0 lignes traitées sur 1")
    assertNotContains(fragment, "<h1>")
    assert resumed.status_code == 302
    assert list(Patient.objects.values_list("nir", flat=True)) == [ALICE_NIR]
    done = client.get(url)
    assertNotContains(done, 'hx-trigger="every 3s"')
    assertContains(done, "Créer une campagne d’information pour cette population")
    assertContains(again, "Cet import est terminé : il n’y a rien à reprendre.")
    assert Patient.objects.count() == 1
