"""Record pages make a number of SQL queries that does not grow with the record.

Each page is pinned with the same bound for a record of 10 entries and of 2,000
(spread over every section, a third of them written by bob so that professional
authors are shown). The bounds include the session, user and middleware queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from messpace.accounts.models import Professional
from records.models import Entry, Patient
from records.sections import SECTIONS

# Pinned counts: a change here is a change in how the page reads the database.
PATIENT_DASHBOARD = 20
PATIENT_TIMELINE = 10
PATIENT_SECTION = 10
PATIENT_MEASURES = 19  # the section plus one series per measure kind
PRO_EXTRA = 3  # the professional identity, the profession matrix and the access log row
PRO_DASHBOARD_PANELS = 1  # the clinical summary's recent documents (records.panels)
PRO_PATIENT_LIST = 10
UNREAD_BADGE = 1  # the patient's unread messages, in the main menu (messaging)

SIZES = [10, 2000]


def _section_bound(slug: str) -> int:
    return PATIENT_MEASURES if slug == "mesures" else PATIENT_SECTION


@pytest.mark.parametrize("size", SIZES)
def test_patient_pages_query_count_does_not_grow_with_the_record(
    alice_client: Client,
    alice: Patient,
    bob: Professional,
    record_of: Callable[..., dict[str, list[Entry]]],
    django_assert_max_num_queries: Any,
    size: int,
) -> None:
    record_of(alice, size, professional=bob.user)

    with django_assert_max_num_queries(PATIENT_DASHBOARD + UNREAD_BADGE):
        dashboard = alice_client.get(reverse("records:dashboard"))
    with django_assert_max_num_queries(PATIENT_TIMELINE + UNREAD_BADGE):
        timeline = alice_client.get(reverse("records:timeline"))
    for section in SECTIONS:
        with django_assert_max_num_queries(_section_bound(section.slug) + UNREAD_BADGE):
            page = alice_client.get(reverse("records:section_list", args=[section.slug]))
        assert page.status_code == 200
        assert page.context["page"].paginator.count == size // len(SECTIONS) + (
            1 if SECTIONS.index(section) < size % len(SECTIONS) else 0
        )

    assert dashboard.status_code == 200
    assert timeline.context["page"].paginator.count == size


@pytest.mark.parametrize("size", SIZES)
def test_professional_pages_query_count_does_not_grow_with_the_record(
    bob_client: Client,
    alice: Patient,
    bob: Professional,
    record_of: Callable[..., dict[str, list[Entry]]],
    django_assert_max_num_queries: Any,
    size: int,
) -> None:
    record_of(alice, size, professional=bob.user)

    with django_assert_max_num_queries(PATIENT_DASHBOARD + PRO_EXTRA + PRO_DASHBOARD_PANELS):
        dashboard = bob_client.get(reverse("pro:dashboard", args=[alice.pk]))
    with django_assert_max_num_queries(PATIENT_TIMELINE + PRO_EXTRA):
        timeline = bob_client.get(reverse("pro:timeline", args=[alice.pk]))
    for section in SECTIONS:
        with django_assert_max_num_queries(_section_bound(section.slug) + PRO_EXTRA):
            page = bob_client.get(reverse("pro:section_list", args=[alice.pk, section.slug]))
        assert page.status_code == 200
    with django_assert_max_num_queries(PRO_PATIENT_LIST):
        patients = bob_client.get(reverse("pro:patient_list"))

    assert dashboard.status_code == 200
    assert timeline.context["page"].paginator.count == size
    assert list(patients.context["page"].object_list) == [alice]


def test_dashboard_counts_every_entry_of_a_large_record(
    alice_client: Client, alice: Patient, record_of: Callable[..., dict[str, list[Entry]]]
) -> None:
    """The summary counts come from one aggregate query: they must still be exact."""
    created = record_of(alice, 2000)

    summaries = alice_client.get(reverse("records:dashboard")).context["summaries"]

    by_key = {section.key: summary for section, summary in summaries}
    for key, entries in created.items():
        if key == "measure":
            continue
        assert by_key[key].count == len(entries)
        assert len(by_key[key].latest) == 3
