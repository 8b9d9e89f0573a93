"""Finding a professional in the directory: by name, profession and town, without
regard to case or accents, one query whatever the size of the directory."""

from __future__ import annotations

from typing import Any

import pytest

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
    # The matches' ids and names, then the ten shown with their professionals.
    with django_assert_num_queries(2):
        assert len(_names("martin")) == 3
