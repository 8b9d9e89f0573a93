"""Reads of the directory: finding a professional by name, profession and town.

The directory is public information (the national directory publishes it):
searching it needs no access to any record, and reveals nothing of anyone's.
On PostgreSQL each folded word of the query must begin a word of the listing
(``to_tsquery('simple', 'garn:* & paris:*')``, served by a GIN index on the
listing's ``tsvector``); on SQLite (the embedded demo) each must begin a word
of the folded text (``LIKE '% garn%'``).

A search costs about the same whatever the directory's size and however common
the words: at most ``MATCHES_SORTED`` matches are read, unordered, and only
those are sorted by name. Sorting every match of "martin" among two million
listings, or letting the planner walk the name index hoping to meet ten
matches soon, cost seconds (see ``docs/scaling.md``). Past that many matches
the searcher is asked to narrow the search, and the ten shown are the first by
name among those read. The words are matched against a stored ``tsvector``
column (a generated column, PostgreSQL only), so checking a match never folds
a text again.

How the matches are read depends on how common the words are, as the
planner's statistics of the listings' words tell (``_plan``): the GIN index
for rare words (a bitmap, stopped at ``MATCHES_SORTED + 1``); the index for
the rarer words only, each listing it finds checked for a very common one
("garnier paris": the index does not gather the 400,000 listings "paris" is
in); or, for words common together ("martin infirmier"), the table read in
its order until that many matches, a few thousand rows, at most
``FIRST_ROWS``. Each way finds exactly the listings every word starts a word
of; the estimate only decides which costs least.
"""

from __future__ import annotations

import bisect
import math
import time
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
    the ``limit`` shown, with their professionals and logins. On PostgreSQL a
    broad search reading the first listings may take one more when they hold too
    few matches, and the planner's statistics are read once every
    ``STATISTICS_TTL`` seconds (see ``_plan``)."""
    found = _query_words(query)
    if not query_is_long_enough(query):
        return Found(listings=[], matches=0)
    if connection.vendor == "postgresql":
        read = _matches_postgresql(found)
    else:
        matching = Listing.objects.all()
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


# --- How PostgreSQL reads the matches --------------------------------------------------------

# Listings read at most in the table's order (a broad search), and the share of
# them the matches needed should take by the statistics' estimate.
FIRST_ROWS = 100_000
FIRST_ROWS_HOPE = 0.75
# Below this many listings the index alone serves every search (a small directory
# is read fast whatever the words, and its statistics tell little).
PLANNED_FROM = 400_000
# The candidates of the rarer words, as a share of the listings, that may be read
# and checked for the others at most. The planner's estimate for reading all of
# them must stay under the cost from which it compiles the query (``jit_above_cost``).
CHECKED_AT_MOST = 0.04
# Estimated microseconds (measured on the national directory, see docs/scaling.md):
# a listing read in the table's order and checked; an entry of a word's posting
# lists that the index reads; one of the rarest word's, which the index checks
# against the other words and adds to its bitmap; a candidate read and checked.
COST_ROW = 0.45
COST_POSTING = 0.1
COST_CANDIDATE = 0.6
COST_CHECKED = 1.0
# How long a process keeps the planner's statistics of the listings' words.
STATISTICS_TTL = 600.0

FIRST_ROWS_PLAN = 0


def _tsquery(words: list[str]) -> str:
    # Folded words are letters and digits only: nothing to quote.
    return " & ".join(f"{word}:*" for word in words)


def _matches_postgresql(found: list[str]) -> list[tuple[str, int]]:
    """(sort name, pk) of at most ``MATCHES_SORTED + 1`` listings matching every word,
    read the way the statistics say costs least (``_plan``)."""
    stats = _statistics()
    plan = _plan(found, stats)
    if plan == FIRST_ROWS_PLAN:
        read = _first_rows_matches(found)
        if len(read) > MATCHES_SORTED:
            return read
        # Rarer together than the statistics have them ("thomas marseille", or
        # "pharmacien infirmier"): the index then.
        plan = _plan(found, stats, first_rows=False)
    if plan < len(found):
        by_share = sorted(found, key=stats.word_share)
        return _checked_matches(by_share[:plan], by_share[plan:])
    if stats.listings >= PLANNED_FROM:
        # Never the planner's scan of the table hoping to meet the matches soon: on
        # words rarer together than it estimates, that reads all of it.
        return _checked_matches(found, [])
    matching = Listing.objects.filter(
        RawSQL(
            "search_vector @@ to_tsquery('simple', %s)",
            [_tsquery(found)],
            output_field=BooleanField(),
        )
    )
    return list(matching.order_by().values_list("sort_name", "pk")[: MATCHES_SORTED + 1])


def _plan(found: list[str], stats: _Statistics, *, first_rows: bool = True) -> int:
    """How to read a search's matches, whichever is estimated to cost least:

    - ``FIRST_ROWS_PLAN``: read the table in its order, checking each listing, until
      ``MATCHES_SORTED + 1`` matches (a broad search: when the words are common
      together, "martin infirmier", that many come within a few thousand rows,
      where the index would first gather every one of their tens of thousands);
      at most ``FIRST_ROWS`` listings, then planned again without it;
    - ``n`` (1 to the number of words): the index looks up the ``n`` rarest words
      and each listing it finds is checked for the others: a very common word
      ("paris", "infirmier") costs the index its whole posting list, hundreds of
      thousands of entries, where checking it costs the few listings read;
      ``len(found)``, the index looks up every word.

    Each word's share of the listings is the planner's (``_Statistics``); the words
    are taken as independent. A wrong estimate costs time, never a match."""
    if stats.listings < PLANNED_FROM or not stats.words:
        # A small directory, or no statistics yet (before the first ANALYZE, after
        # a restore): the index for every word, as the planner would.
        return len(found)
    wanted = MATCHES_SORTED + 1
    shares = sorted(stats.word_share(word) for word in found)
    costs: dict[int, float] = {}
    together = math.prod(shares)
    if first_rows and together and wanted / together <= FIRST_ROWS * FIRST_ROWS_HOPE:
        costs[FIRST_ROWS_PLAN] = COST_ROW * wanted / together
    postings = 0.0
    for looked_up in range(1, len(shares) + 1):
        postings += shares[looked_up - 1] * stats.listings
        candidates = math.prod(shares[:looked_up])
        cost = COST_POSTING * postings + COST_CANDIDATE * shares[0] * stats.listings
        if looked_up < len(shares):
            if candidates > CHECKED_AT_MOST:
                continue
            checked = math.prod(shares[looked_up:])
            cost += COST_CHECKED * min(candidates * stats.listings, wanted / checked)
        costs[looked_up] = cost
    return min(costs, key=lambda plan: (costs[plan], -plan))


def _first_rows_matches(found: list[str]) -> list[tuple[str, int]]:
    """The matches among the first ``FIRST_ROWS`` listings of the table (a sequential
    scan, stopped at ``MATCHES_SORTED + 1``: no condition reaches the inner query)."""
    table = connection.ops.quote_name(Listing._meta.db_table)
    sql = (
        "SELECT sort_name, id FROM (SELECT sort_name, id, search_vector "  # noqa: S608
        f"FROM {table} LIMIT %s) AS first_rows "
        "WHERE search_vector @@ to_tsquery('simple', %s) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [FIRST_ROWS, _tsquery(found), MATCHES_SORTED + 1])
        return [(name, pk) for name, pk in cursor.fetchall()]


def _checked_matches(indexed: list[str], checked: list[str]) -> list[tuple[str, int]]:
    """The listings the index finds for ``indexed`` that also match ``checked`` (if
    any). The materialized CTE is planned for all its rows (a bitmap of the index,
    never a scan of the table hoping to meet the matches soon), and read only as
    far as the matches wanted."""
    table = connection.ops.quote_name(Listing._meta.db_table)
    sql = (
        "WITH candidates AS MATERIALIZED (SELECT sort_name, id, search_vector "  # noqa: S608
        f"FROM {table} WHERE search_vector @@ to_tsquery('simple', %s)) "
        "SELECT sort_name, id FROM candidates "
    )
    params: list[str | int] = [_tsquery(indexed)]
    if checked:
        sql += "WHERE search_vector @@ to_tsquery('simple', %s) "
        params.append(_tsquery(checked))
    with connection.cursor() as cursor:
        cursor.execute(sql + "LIMIT %s", [*params, MATCHES_SORTED + 1])
        return [(name, pk) for name, pk in cursor.fetchall()]


@dataclass(frozen=True)
class _Statistics:
    """What the planner's statistics (``ANALYZE``, which an import ends with) tell of
    the listings: how many, and the share of them each of their most common words
    (about a thousand, down to one listing in 1,500) is in."""

    listings: int = 0
    words: tuple[str, ...] = ()  # sorted
    shares: tuple[float, ...] = ()
    # The least common word's share: what a word starting none of them is taken for.
    rare: float = 0.0
    read_at: float = 0.0

    def word_share(self, word: str) -> float:
        """The share of listings a word of the query (a prefix) is estimated to
        match: the common words it starts, or as rare as the least common of them."""
        start = bisect.bisect_left(self.words, word)
        # "~" sorts after every letter and digit: the end of the words ``word`` starts.
        end = bisect.bisect_left(self.words, f"{word}~", start)
        if end > start:
            return min(1.0, sum(self.shares[start:end]))
        return self.rare


_statistics_cache: list[_Statistics] = []


def _statistics() -> _Statistics:
    """The listings' statistics, read again every ``STATISTICS_TTL`` seconds."""
    now = time.monotonic()
    if _statistics_cache and now - _statistics_cache[0].read_at < STATISTICS_TTL:
        return _statistics_cache[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_elems::text::text[], "
            "s.most_common_elem_freqs FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stats s "
            "ON s.schemaname = n.nspname "
            "AND s.tablename = c.relname AND s.attname = 'search_vector' "
            "WHERE c.oid = %s::regclass",
            [Listing._meta.db_table],
        )
        row = cursor.fetchone()
    listings, words, shares = row if row else (0, None, None)
    # The frequencies end with three more: the least and greatest, and the nulls'.
    pairs = sorted(zip(words or (), shares or (), strict=False))
    stats = _Statistics(
        listings=max(0, int(listings or 0)),
        words=tuple(word for word, _share in pairs),
        shares=tuple(share for _word, share in pairs),
        rare=min((share for _word, share in pairs), default=0.0),
        read_at=now,
    )
    _statistics_cache[:] = [stats]
    return stats


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
