"""The professional pickers of the privacy page (GP, share, block) search the
directory: live with htmx, by the "Rechercher" button without JavaScript, and
the RPPS number still works. A refused choice stores nothing and says why."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import Block, DesignatedGP, Share
from messpace.accounts.models import Professional
from messpace.directory.views import search as views
from records.models import Patient
from tests.directory.conftest import Importer

pytestmark = pytest.mark.django_db

PRIVACY = reverse("consent:privacy")
SEARCH = reverse("directory:search")
GARNIER = "10100000016"
LAMBERT = "10100000024"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _sample(run_import: Importer, alice: Patient) -> None:
    run_import()
    # The search throttle counts per user in the cache, which outlives the database.
    cache.delete(f"throttle:directory-search:{alice.user_id}")


def _pro(rpps: str) -> Professional:
    return Professional.objects.get(rpps=rpps)


def _radios(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio" id="[^"]+" name="{name}" value="(\d+)"', html)


def test_typing_a_name_answers_the_pickers_radio_buttons(alice_client: Client) -> None:
    response = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": "garnier"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the results region
    assert _radios(html, "gp-professional") == [str(_pro(GARNIER).pk)]
    assert "Hélène Garnier" in html
    assert "1 professionnel trouvé pour « garnier »" in html
    assert response["Vary"].count("HX-Request") == 1
    # The sentence goes to the picker's status line (out of band), not the ten names.
    status = re.search(r'<p id="gp-status"[^>]*role="status" hx-swap-oob="true">(.*?)</p>', html)
    assert status is not None and status.group(1) == "1 professionnel trouvé pour « garnier »"


def test_without_javascript_the_search_page_lists_rpps_numbers(alice_client: Client) -> None:
    response = alice_client.get(SEARCH, {"q": "martin lyon"})

    assertContains(response, "<h1>Annuaire des professionnels de santé</h1>")
    assertContains(response, "Claire Martin")
    assertContains(response, "Paul Martin")
    assertContains(response, "RPPS 10100002004")
    assertNotContains(response, "Lucie Martinez")  # Marseille


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("g", "Saisissez au moins"),
        ("zzzzqx", "Aucun professionnel ne correspond à « zzzzqx »"),
    ],
)
def test_short_or_unmatched_queries_say_so(alice_client: Client, query: str, answer: str) -> None:
    response = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": query}, **HTMX)
    assertContains(response, answer)
    assert _radios(response.content.decode(), "gp-professional") == []


def test_the_query_is_escaped(alice_client: Client) -> None:
    response = alice_client.get(SEARCH, {"q": "<script>alert(1)</script>"})
    assertNotContains(response, "<script>alert(1)</script>")
    assertContains(response, "&lt;script&gt;")


def test_a_prefix_that_is_not_a_form_name_is_ignored(alice_client: Client) -> None:
    response = alice_client.get(SEARCH, {"prefix": '"><b>', "q": "garnier"}, **HTMX)
    assert _radios(response.content.decode(), "professional") == [str(_pro(GARNIER).pk)]
    assertNotContains(response, '"><b>')


def test_searching_needs_a_login(client: Client) -> None:
    response = client.get(SEARCH, {"q": "garnier"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_searching_too_often_is_refused_for_a_minute(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SEARCHES_PER_MINUTE", 3)
    for _ in range(3):
        assert alice_client.get(SEARCH, {"q": "garnier"}).status_code == 200
    refused = alice_client.get(SEARCH, {"q": "garnier"})
    assert refused.status_code == 429
    assertContains(refused, "Trop de recherches", status_code=429)
    live = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": "garnier"}, **HTMX)
    assertContains(live, "Trop de recherches")  # said in the live region, with a 200


def test_search_queries_do_not_grow_with_the_results(alice_client: Client) -> None:
    def count(query: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": query}, **HTMX)
        return len(queries), len(_radios(response.content.decode(), "gp-professional"))

    one, found_one = count("garnier")
    many, found_many = count("medecin")
    assert (found_one, found_many > 5) == (1, True)
    assert many == one


# --- The privacy page's pickers, without JavaScript ---


def test_the_rechercher_button_shows_the_results_in_the_page(alice_client: Client) -> None:
    response = alice_client.get(PRIVACY, {"gp-q": "garnier"})

    html = response.content.decode()
    assert _radios(html, "gp-professional") == [str(_pro(GARNIER).pk)]
    assert _radios(html, "share-professional") == []  # only the picker searched
    assertContains(response, 'name="gp-q" value="garnier"')
    assert not DesignatedGP.objects.exists()  # a search changes nothing


def test_patient_chooses_a_gp_found_by_name(alice_client: Client, alice: Patient) -> None:
    garnier = _pro(GARNIER)
    response = alice_client.post(reverse("consent:gp_set"), {"gp-professional": garnier.pk})

    assert response.status_code == 302
    assert DesignatedGP.objects.get(patient=alice).professional == garnier
    assertContains(alice_client.get(PRIVACY), "Hélène Garnier")


def test_patient_shares_with_and_blocks_professionals_found_by_name(
    alice_client: Client, alice: Patient
) -> None:
    lambert, garnier = _pro(LAMBERT), _pro(GARNIER)
    alice_client.post(
        reverse("consent:share_grant"),
        {"share-professional": lambert.pk, "share-scope": "all"},
    )
    alice_client.post(reverse("consent:block_add"), {"block-professional": garnier.pk})

    assert Share.objects.filter(patient=alice, professional=lambert).exists()
    assert Block.objects.filter(patient=alice, professional=garnier).exists()


def _refused(client: Client, data: dict[str, Any]) -> str:
    response = client.post(reverse("consent:gp_set"), data)
    assert response.status_code == 200
    assert not DesignatedGP.objects.exists()
    return response.content.decode()


def test_choosing_and_typing_an_rpps_is_refused(alice_client: Client) -> None:
    html = _refused(alice_client, {"gp-professional": _pro(GARNIER).pk, "gp-rpps": GARNIER})
    assert "pas les deux" in html


def test_choosing_nobody_is_refused(alice_client: Client) -> None:
    html = _refused(alice_client, {})
    assert "Recherchez le professionnel et choisissez-le parmi les résultats" in html


@pytest.mark.parametrize("value", ["999999999", "abc", "-3"])
def test_a_choice_that_names_no_professional_is_refused(alice_client: Client, value: str) -> None:
    html = _refused(alice_client, {"gp-professional": value})
    expected = (
        "ne figure plus dans l’annuaire"
        if value == "999999999"
        else "Choisissez le professionnel parmi les résultats de la recherche."
    )
    assert expected in html


def test_a_refused_choice_is_shown_again_checked(alice_client: Client) -> None:
    lambert = _pro(LAMBERT)  # a pharmacist cannot be a GP
    html = _refused(alice_client, {"gp-professional": lambert.pk})
    assert "Seul un médecin peut être désigné comme médecin traitant." in html
    assert f'name="gp-professional" value="{lambert.pk}" checked' in html


def test_the_results_are_not_read_out_and_a_refused_choice_is_linked_to_its_error(
    alice_client: Client,
) -> None:
    page = alice_client.get(PRIVACY, {"gp-q": "garnier"}).content.decode()
    assert '<div id="gp-results">' in page  # not a live region
    assert '<p id="gp-status" class="fr-sr-only" role="status"></p>' in page

    html = _refused(alice_client, {"gp-professional": "999999999"})
    assert 'id="gp-professional-desc-error"' in html


def test_a_broad_search_reads_a_bounded_number_of_matches_and_says_so(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messpace.directory import selectors

    monkeypatch.setattr(selectors, "MATCHES_SORTED", 3)
    # Still exact where few match: only Hélène Garnier, whatever else is read.
    narrow = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": "garnier"}, **HTMX)
    assert _radios(narrow.content.decode(), "gp-professional") == [str(_pro(GARNIER).pk)]

    broad = alice_client.get(SEARCH, {"prefix": "gp", "gp-q": "medecin"}, **HTMX)
    html = broad.content.decode()
    assert "Plus de 3 professionnels correspondent à « medecin »" in html
    shown = _radios(html, "gp-professional")
    assert len(shown) == 3  # the three read and sorted (a fourth only told there are more)
    doctors = set(
        Professional.objects.filter(
            profession__in=["generaliste", "specialiste", "urgentiste"]
        ).values_list("pk", flat=True)
    )
    assert {int(pk) for pk in shown} <= doctors
