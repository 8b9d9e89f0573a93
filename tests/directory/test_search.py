"""Finding a professional in the directory: by name, profession and town, without
regard to case or accents, one query whatever the size of the directory."""

from __future__ import annotations

from typing import Any

import pytest

from messpace.directory import selectors
from messpace.directory.models import Listing
from messpace.directory.selectors import listings_search
from tests.directory.conftest import Importer

pytestmark = pytest.mark.django_db


def _names(query: str) -> list[str]:
    return [listing.professional.full_name for listing in listings_search(query)]


@pytest.fixture(autouse=True)
def _sample(run_import: Importer) -> None:
    run_import()


def test_case_and_accents_do_not_matter_and_words_are_prefixes() -> None:
    assert _names("helene garn") == ["Hélène Garnier"]
    assert _names("GARNIER") == ["Hélène Garnier"]
    assert _names("lefevre") == _names("Lefèvre") == ["Élodie Lefèvre"]
    assert _names("elodie") == ["Élodie Lefèvre"]


def test_name_profession_and_town_narrow_together() -> None:
    # Each word is a prefix: "martin" finds Martinez too.
    assert _names("martin") == ["Claire Martin", "Paul Martin", "Lucie Martinez"]
    assert _names("martin lyon cardio") == ["Paul Martin"]
    assert _names("martin marseille") == ["Lucie Martinez"]
    assert _names("martin lille") == []
    assert _names("pharmacien lyon") == ["Marie Durand"]
    assert _names("75007 infirmier") == ["Sophie Perrin"]
    # A structure's name finds who practises there.
    assert _names("breteuil") == ["Hélène Garnier"]


def test_too_short_or_empty_queries_find_nothing() -> None:
    assert _names("") == []
    assert _names("m") == []
    assert _names("  -  ") == []


def test_a_result_carries_what_its_line_shows() -> None:
    listing = listings_search("lambert")[0]
    assert listing.summary == "Pharmacien · PHARMACIE DU CHAMP-DE-MARS · Paris"
    assert listing.professional.rpps == "10100000024"


def test_a_search_is_two_queries(django_assert_num_queries: Any) -> None:
    listings_search("martin")  # the planner's statistics, read once in a while
    # The matches' ids and names, then the ten shown with their professionals.
    with django_assert_num_queries(2):
        assert len(_names("martin")) == 3


# --- How the matches are read (PostgreSQL) ----------------------------------------------------

QUERIES = {
    "martin": ["Claire Martin", "Paul Martin", "Lucie Martinez"],
    "martin lyon cardio": ["Paul Martin"],
    "martin marseille": ["Lucie Martinez"],
    "martin lille": [],
    "pharmacien lyon": ["Marie Durand"],
    "75007 infirmier": ["Sophie Perrin"],
    "helene garn": ["Hélène Garnier"],
}


def _national(shares: dict[str, float]) -> selectors._Statistics:
    """Statistics as of the national directory, with these words' shares."""
    words = sorted(shares)
    return selectors._Statistics(
        listings=1_500_000,
        words=tuple(words),
        shares=tuple(shares[word] for word in words),
        rare=0.0007,
    )


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Searches planned as on the national directory (and on PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    monkeypatch.setattr(selectors, "PLANNED_FROM", 0)


@pytest.mark.parametrize("plan", [selectors.FIRST_ROWS_PLAN, 1, 2, 3])
@pytest.mark.usefixtures("planned")
def test_every_way_of_reading_finds_exactly_the_matches_by_name(
    plan: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first rows hold too few matches (all of them, here): the index then.
    monkeypatch.setattr(
        selectors, "_plan", lambda found, stats, first_rows=True: plan if first_rows else 9
    )
    for query, names in QUERIES.items():
        assert _names(query) == names, query


@pytest.mark.usefixtures("planned")
def test_a_common_word_is_checked_on_what_the_rarer_ones_find(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stats = _national({"martin": 0.09, "lyon": 0.02, "infirmier": 0.44, "pharmacien": 0.04})
    monkeypatch.setattr(selectors, "_statistics", lambda: stats)
    checked: list[tuple[list[str], list[str]]] = []
    check = selectors._checked_matches

    def spy(indexed: list[str], others: list[str]) -> list[tuple[str, int]]:
        checked.append((indexed, others))
        return check(indexed, others)

    monkeypatch.setattr(selectors, "_checked_matches", spy)
    assert _names("75007 infirmier") == ["Sophie Perrin"]
    assert _names("martin lyon cardio") == ["Paul Martin"]
    assert checked == [(["75007"], ["infirmier"]), (["cardio"], ["lyon", "martin"])]


@pytest.mark.usefixtures("planned")
def test_words_common_together_read_the_first_listings(monkeypatch: pytest.MonkeyPatch) -> None:
    stats = _national({"martin": 0.09, "infirmier": 0.44, "paris": 0.25})
    assert selectors._plan(["martin", "infirmier"], stats) == selectors.FIRST_ROWS_PLAN
    # When they hold too few: the index, for both ("martin" is too common to be
    # the only word it looks up).
    assert selectors._plan(["martin", "infirmier"], stats, first_rows=False) == 2
    # A very common word is checked on what a rare one finds; rare words, the index.
    assert selectors._plan(["garnier", "paris"], stats) == 1
    assert selectors._plan(["garnier", "helene"], stats) == 2

    # Broad: more matches among the first listings than are sorted.
    monkeypatch.setattr(selectors, "_statistics", lambda: _national({"martin": 0.5}))
    monkeypatch.setattr(selectors, "MATCHES_SORTED", 1)
    found = listings_search("martin")
    assert found.matches == 2
    assert len(found) == 1
    assert found[0].professional.last_name.startswith("Martin")


def test_a_small_directory_is_read_by_the_index_alone() -> None:
    small = selectors._Statistics(
        listings=selectors.PLANNED_FROM - 1, words=("infirmier", "martin"), shares=(0.4, 0.5)
    )
    assert selectors._plan(["martin", "infirmier"], small) == 2


@pytest.mark.usefixtures("planned")
def test_the_statistics_are_the_planners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "_statistics_cache", [])
    stats = selectors._statistics()  # the import ended with ANALYZE
    assert stats.listings == Listing.objects.count()
    assert list(stats.words) == sorted(stats.words)
    assert all(0 < share <= 1 for share in stats.shares)
    assert selectors._statistics() is stats


def test_a_large_directory_without_statistics_yet_uses_the_index_for_every_word() -> None:
    """Before the first ANALYZE (or after a restore) the planner has no word
    statistics: every word goes to the index, never a division by nothing."""
    from messpace.directory.selectors import _plan, _Statistics

    assert _plan(["garnier", "dupont"], _Statistics(listings=1_500_000)) == 2
    assert _plan(["garnier"], _Statistics(listings=1_500_000)) == 1
