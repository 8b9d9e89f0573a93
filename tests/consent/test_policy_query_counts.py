"""The policy's cost in queries does not grow with the professional's grants or the record.

Bob, a general practitioner, reads alice's record through a whole-record share.
In the small world he has that one grant and alice has 10 entries; in the large
one 49 more patients share with him, several more shares have expired, several
patients block him, and alice's record holds 500 entries of which some are
hidden. His dashboard, timeline and a section page must make exactly the same
number of queries in both, under the pinned bound (session, user and middleware
queries included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import CareRelationship, Share
from messpace.accounts.models import Professional, User
from records.models import SECTION_MODELS, Patient, TimelineEvent
from tests.factories import (
    BlockFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    ShareFactory,
)
from tests.records.conftest import build_record

# The bounds of tests/records/test_query_counts.py for a professional, plus one:
# on a share basis the policy also reads which sections are shared. The
# dashboard's includes the clinical summary's recent documents (one query).
PRO_DASHBOARD = 25
PRO_TIMELINE = 14
PRO_SECTION = 14

SMALL = {"grants": 1, "entries": 10}
LARGE = {"grants": 50, "entries": 500}


def grow(bob: Professional, alice: Patient, *, grants: int, entries: int) -> int:
    """Give bob ``grants`` live grants (alice's included) plus dead ones, and alice a record.

    Returns the number of alice's entries bob may see. Every seventh entry of a
    section from the second on is hidden, so that no section of the small record
    is left empty (an empty list skips a query and would blur the comparison).
    """
    now = timezone.now()
    ShareFactory(patient=alice, professional=bob)
    for _ in range(grants - 1):
        ShareFactory(professional=bob)
    if grants > 1:
        for _ in range(5):
            ShareFactory(professional=bob, expires_at=now - dt.timedelta(days=1))
            blocker = PatientFactory()
            CareRelationship.objects.create(patient=blocker, professional=bob)
            BlockFactory(patient=blocker, professional=bob)
    build_record(alice, entries)
    hidden = 0
    for model in SECTION_MODELS.values():
        ids = list(
            model.objects.filter(patient=alice).values_list("pk", flat=True).order_by("pk")[1::7]
        )
        model.objects.filter(pk__in=ids).update(hidden_from_professionals=True)
        TimelineEvent.objects.filter(kind=model.section, source_id__in=ids).update(
            hidden_from_professionals=True
        )
        hidden += len(ids)
    return entries - hidden


def page_queries(client: Client, alice: Patient) -> dict[str, int]:
    urls = {
        "dashboard": reverse("pro:dashboard", args=[alice.pk]),
        "timeline": reverse("pro:timeline", args=[alice.pk]),
        "section": reverse("pro:section_list", args=[alice.pk, "traitements"]),
    }
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.fixture
def bob(db: None) -> Professional:
    return ProfessionalFactory(user__first_name="Bob")


@pytest.fixture
def alice(db: None) -> Patient:
    return PatientUserFactory(given_names="Alice", birth_names="MARTIN")


@pytest.mark.parametrize("world", [SMALL, LARGE], ids=["1-grant-10-entries", "50-grants-500"])
def test_professional_pages_are_pinned_whatever_the_grants_and_record(
    client: Client,
    login: Callable[[Client, User], Client],
    bob: Professional,
    alice: Patient,
    django_assert_max_num_queries: Any,
    world: dict[str, int],
) -> None:
    visible = grow(bob, alice, **world)
    client = login(client, bob.user)

    with django_assert_max_num_queries(PRO_DASHBOARD):
        client.get(reverse("pro:dashboard", args=[alice.pk]))
    with django_assert_max_num_queries(PRO_TIMELINE):
        timeline = client.get(reverse("pro:timeline", args=[alice.pk]))
    with django_assert_max_num_queries(PRO_SECTION):
        client.get(reverse("pro:section_list", args=[alice.pk, "traitements"]))

    assert timeline.context["page"].paginator.count == visible


def test_professional_pages_make_the_same_queries_with_50_grants_and_500_entries(
    client: Client, login: Callable[[Client, User], Client], bob: Professional, alice: Patient
) -> None:
    """GIVEN bob with one grant and a 10-entry record, measured
    WHEN 49 more grants, dead grants, blocks and 490 entries are added
    THEN each page makes exactly as many queries as before.
    """
    grow(bob, alice, **SMALL)
    client = login(client, bob.user)
    page_queries(client, alice)  # warm the session and caches
    small = page_queries(client, alice)

    # The large world on top of the small one: alice's share already exists.
    Share.objects.filter(patient=alice, professional=bob).delete()
    grow(bob, alice, grants=LARGE["grants"], entries=LARGE["entries"] - SMALL["entries"])
    large = page_queries(client, alice)

    assert small == large
