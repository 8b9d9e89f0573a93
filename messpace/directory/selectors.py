"""Reads of the directory: finding a professional by name, profession and town.

The directory is public information (the national directory publishes it):
searching it needs no access to any record, and reveals nothing of anyone's.
On PostgreSQL each folded word of the query must begin a word of the listing
(``to_tsquery('simple', 'garn:* & paris:*')``, served by a GIN index on the
listing's ``tsvector``); on SQLite (the embedded demo) each must begin a word
of the folded text (``LIKE '% garn%'``).

A search costs the same whatever the directory's size and however common the
words: the matches are read unordered, at most ``MATCHES_SORTED`` of them
(a GIN bitmap, stopped there), and only those are sorted by name. Sorting
every match of "martin" among two million listings, or letting the planner
walk the name index hoping to meet ten matches soon, cost seconds (see
``docs/scaling.md``). Past that many matches the searcher is asked to narrow
the search, and the ten shown are the first by name among those read.
The words are matched against a stored ``tsvector`` column (a generated
column, PostgreSQL only), so checking a match never folds a text again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from messpace.directory.folding import words
from messpace.directory.models import Listing

# Shorter queries find too much to be useful (and cost a scan).
MIN_QUERY_LENGTH = 2
MAX_WORDS = 6
# Matches read, and sorted by name, at most: past this the search is too broad.
MATCHES_SORTED = 200


def _query_words(query: str) -> list[str]:
    return words(query)[:MAX_WORDS]


def query_is_long_enough(query: str) -> bool:
    return len("".join(_query_words(query))) >= MIN_QUERY_LENGTH


@dataclass(frozen=True)
class Found:
    """The listings a search shows, and how many it read (``MATCHES_SORTED + 1`` at most:
    more than ``MATCHES_SORTED`` means the search is too broad)."""

    listings: list[Listing]
    matches: int

    def __iter__(self) -> Iterator[Listing]:
        return iter(self.listings)

    def __len__(self) -> int:
        return len(self.listings)

    def __getitem__(self, index: int) -> Listing:
        return self.listings[index]


def listings_search(query: str, *, limit: int = 10) -> Found:
    """The first ``limit`` listings by name among those every word of ``query`` starts a
    word of (at most ``MATCHES_SORTED`` read, unordered); nothing for a query
    shorter than ``MIN_QUERY_LENGTH`` letters. Two queries: the matches' ids and
    names (each heap row read once, as the index's check reads it anyway), then
    the ``limit`` shown, with their professionals and logins."""
    found = _query_words(query)
    if not query_is_long_enough(query):
        return Found(listings=[], matches=0)
    matching = Listing.objects.all()
    if connection.vendor == "postgresql":
        terms = " & ".join(f"{word}:*" for word in found)
        matching = matching.filter(
            RawSQL(
                "search_vector @@ to_tsquery('simple', %s)",
                [terms],
                output_field=BooleanField(),
            )
        )
    else:
        for word in found:
            matching = matching.filter(search_text__contains=f" {word}")
    read = list(matching.order_by().values_list("sort_name", "pk")[: MATCHES_SORTED + 1])
    shown = [pk for _name, pk in sorted(read)[:limit]]
    listings = list(
        Listing.objects.filter(pk__in=shown)
        .select_related("professional__user")
        .order_by("sort_name", "pk")
    )
    return Found(listings=listings, matches=len(read))
