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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from messpace.directory.folding import words
from messpace.directory.models import Activity, Listing, Structure

if TYPE_CHECKING:
    from messpace.accounts.models import Professional

# Shorter queries find too much to be useful (and cost a scan).
MIN_QUERY_LENGTH = 2
MAX_WORDS = 6
MIN_WORD_LENGTH = 2
# Matches read, and sorted by name, at most: past this the search is too broad.
MATCHES_SORTED = 200


def _query_words(query: str) -> list[str]:
    """The query's folded words, a single letter left out: "garnier p" searches
    "garnier" (a one-letter prefix would match a good part of the directory)."""
    return [word for word in words(query) if len(word) >= MIN_WORD_LENGTH][:MAX_WORDS]


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
    # The one read past MATCHES_SORTED only tells that there are more.
    shown = [pk for _name, pk in sorted(read[:MATCHES_SORTED])[:limit]]
    listings = list(
        Listing.objects.filter(pk__in=shown)
        .select_related("professional__user")
        .order_by("sort_name", "pk")
    )
    return Found(listings=listings, matches=len(read))


# --- What a picker shows ---------------------------------------------------------------------

# Results shown at most.
RESULTS_SHOWN = 10
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class SearchResults:
    """What a search found, as the results templates show it."""

    query: str
    listings: list[Listing] = field(default_factory=list)
    too_short: bool = False
    # How many professionals match (at most MATCHES_SORTED, see ``broad``).
    matches: int = 0
    # More professionals match than ``listings`` holds.
    more: bool = False
    # More than MATCHES_SORTED match: the listings are ten of them, not the first ten.
    broad: bool = False
    throttled: bool = False


def directory_search(query: str) -> SearchResults:
    """The first ``RESULTS_SHOWN`` listings matching ``query``, by name, in two queries
    (the professionals with their logins come with the second)."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query_is_long_enough(query):
        return SearchResults(query=query, too_short=True)
    found = listings_search(query, limit=RESULTS_SHOWN)
    matches = found.matches
    return SearchResults(
        query=query,
        listings=found.listings,
        matches=min(matches, MATCHES_SORTED),
        more=matches > len(found),
        broad=matches > MATCHES_SORTED,
    )


def chosen_results(professional: Professional) -> SearchResults:
    """The one professional a form was sent with, shown again (checked) when it is refused."""
    listing = Listing.objects.filter(professional=professional).first()
    if listing is None:  # a professional the directory has not listed (made by hand)
        listing = Listing(professional=professional, summary=professional.title)
    else:
        listing.professional = professional
    return SearchResults(query="", listings=[listing])


# --- Structures (the console) ---

STRUCTURES_SHOWN = 50


def structures_search(query: str) -> QuerySet[Structure]:
    """Structures for the console: by FINESS or SIRET (exact, indexed), else by a
    word of the name or the town; the first ``STRUCTURES_SHOWN`` by name."""
    query = " ".join(query.split())
    compact = query.replace(" ", "").upper()
    structures = Structure.objects.all()
    if compact.isdigit() and len(compact) == 14:
        structures = structures.filter(siret=compact)
    elif len(compact) == 9 and compact[:1].isdigit() and compact[2:].isdigit():
        structures = structures.filter(finess=compact)
    elif query:
        for word in query.split()[:MAX_WORDS]:
            structures = structures.filter(Q(name__icontains=word) | Q(city__icontains=word))
    return structures.annotate(members=Count("activities")).order_by("name", "pk")[
        :STRUCTURES_SHOWN
    ]


def structure_members(structure: Structure) -> QuerySet[Activity]:
    """Who practises at ``structure``, by name; the directory's and the declared."""
    return (
        Activity.objects.filter(structure=structure)
        .select_related("professional", "professional__user", "declared_by")
        .order_by("professional__last_name", "professional__first_name", "pk")
    )
