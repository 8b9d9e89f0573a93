"""Reads of the directory: finding a professional by name, profession and town.

The directory is public information (the national directory publishes it):
searching it needs no access to any record, and reveals nothing of anyone's.
On PostgreSQL each folded word of the query must begin a word of the listing
(``to_tsquery('simple', 'garn:* & paris:*')``, served by a GIN index on the
listing's ``tsvector``); on SQLite (the embedded demo) each must begin a word
of the folded text (``LIKE '% garn%'``). Results are ordered by name, a
bounded page whatever the size of the directory.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from messpace.directory.folding import words
from messpace.directory.models import Listing

# Shorter queries find too much to be useful (and cost a scan).
MIN_QUERY_LENGTH = 2
MAX_WORDS = 6


def _query_words(query: str) -> list[str]:
    return words(query)[:MAX_WORDS]


def query_is_long_enough(query: str) -> bool:
    return len("".join(_query_words(query))) >= MIN_QUERY_LENGTH


def listings_search(query: str, *, limit: int = 10) -> QuerySet[Listing]:
    """The listings every word of ``query`` starts a word of, by name; empty for a
    query shorter than ``MIN_QUERY_LENGTH`` letters."""
    found = _query_words(query)
    qs = Listing.objects.select_related("professional__user")
    if not query_is_long_enough(query):
        return qs.none()
    if connection.vendor == "postgresql":
        terms = " & ".join(f"{word}:*" for word in found)
        qs = qs.filter(
            RawSQL(
                "to_tsvector('simple', directory_listing.search_text) @@ to_tsquery('simple', %s)",
                [terms],
                output_field=BooleanField(),
            )
        )
    else:
        for word in found:
            qs = qs.filter(search_text__contains=f" {word}")
    return qs.order_by("sort_name", "pk")[:limit]
