"""The directory's search: a page of its own, and the fragment every professional picker loads.

``GET /annuaire/recherche/?q=…`` answers, to htmx (the pickers' search inputs),
an HTML fragment for the picker's results region: the professionals found, as
radio buttons of the picker's form, or a sentence when the query is too short
or finds nobody. Without htmx it answers a full page listing the same
professionals (name, what they do, where, RPPS), useful on its own to find a
professional's RPPS number.

A picker names its form by ``prefix`` (``gp``, ``share``…): its search input
is then ``<prefix>-q`` and its radio buttons ``<prefix>-professional``, as in
the Django form they belong to. The directory is public information and
reveals nothing of any record; any signed-in person may search it, within
``SEARCHES_PER_MINUTE`` searches a minute.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from messpace.directory.selectors import (
    MAX_QUERY_LENGTH,
    MIN_QUERY_LENGTH,
    SearchResults,
    directory_search,
)
from messpace.throttle import throttle_hit

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from messpace.accounts.models import User

# Typing fires a search every 300 ms at most: two minutes' worth of steady typing.
SEARCHES_PER_MINUTE = 120
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def search_throttled(user: User) -> bool:
    """Count one search for ``user``; True when they searched too often this minute."""
    return throttle_hit(
        scope="directory-search", key=str(user.pk), limit=SEARCHES_PER_MINUTE, window_seconds=60
    )


def throttled_results(query: str) -> SearchResults:
    return SearchResults(query=query.strip()[:MAX_QUERY_LENGTH], throttled=True)


def results_context(
    *, prefix: str, results: SearchResults | None, chosen: int | None = None, live: bool = False
) -> dict[str, Any]:
    """The context of ``directory/_results.html`` for the picker of the form ``prefix``;
    ``live`` for an htmx answer, which also updates the picker's status line."""
    field_name = f"{prefix}-professional" if prefix else "professional"
    return {
        "results": results,
        "field_name": field_name,
        "field_id": field_name,
        "chosen": chosen,
        "min_length": MIN_QUERY_LENGTH,
        "live": live,
        "status_id": f"{prefix}-status" if prefix else "directory-status",
    }


@login_required
@require_GET
def search(request: HtmxRequest) -> HttpResponse:
    prefix = request.GET.get("prefix", "")
    if not _PREFIX.match(prefix):
        prefix = ""
    query = request.GET.get(f"{prefix}-q" if prefix else "q", "")
    user: User = request.user  # type: ignore[assignment]
    throttled = search_throttled(user)
    results = throttled_results(query) if throttled else directory_search(query)
    if request.htmx:
        # htmx swaps only successful answers into the page: a refusal is said in
        # the results region, with a 200, and in the status line.
        response = render(
            request,
            "directory/_results.html",
            results_context(prefix=prefix, results=results, live=True),
        )
    else:
        response = render(
            request,
            "directory/search.html",
            {"results": results, "query": results.query, "min_length": MIN_QUERY_LENGTH},
            status=429 if throttled else 200,
        )
    patch_vary_headers(response, ["HX-Request"])
    return response
