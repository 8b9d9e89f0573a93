"""The health history ("Mon histoire de santé"): one denormalised event per entry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains
from pytest_django.fixtures import Settings

from consent.policy import RecordAccess
from records import services
from records.models import (
    AuthorKind,
    Condition,
    Entry,
    FamilyHistory,
    Hospitalisation,
    Patient,
    TimelineEvent,
    Vaccination,
)
from tests.factories import PatientUserFactory
from tests.records.sample import post_data

PARIS = ZoneInfo("Europe/Paris")


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=PARIS)


def test_adding_an_entry_writes_exactly_one_event_mirroring_it(
    alice_client: Client, alice: Patient
) -> None:
    alice_client.post(
        reverse("records:section_add", args=["hospitalisations"]), post_data("hospitalisation")
    )
    entry = Hospitalisation.objects.get()

    event = TimelineEvent.objects.get()

    assert (event.kind, event.source_id, event.patient_id) == (
        "hospitalisation",
        entry.pk,
        alice.pk,
    )
    assert event.occurred_at == _noon(dt.date(2019, 5, 2))
    assert not event.date_is_entry_date
    assert event.title == "Appendicite — CHU de Nantes"
    assert event.author == alice.user
    assert event.author_kind == AuthorKind.PATIENT
    assert event.author_label == "Alice Marie MARTIN"
    assert not event.deleted


def test_entry_and_its_event_are_written_in_one_transaction(alice_access: RecordAccess) -> None:
    """GIVEN the queries run by entry_create
    THEN the INSERT of the entry and the write of its event sit inside the same
    (outermost) savepoint, so either both are stored or neither.
    """
    with CaptureQueriesContext(connection) as ctx:
        services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})
    sql = [q["sql"] for q in ctx.captured_queries]

    entry_at = next(i for i, q in enumerate(sql) if q.startswith('INSERT INTO "records_condition"'))
    event_at = next(
        i for i, q in enumerate(sql) if q.startswith('INSERT INTO "records_timelineevent"')
    )
    # The savepoint opened last before the entry's INSERT is the service's own.
    name = next(
        m.group(1) for q in reversed(sql[:entry_at]) if (m := re.fullmatch(r'SAVEPOINT "(\w+)"', q))
    )
    assert entry_at < event_at < sql.index(f'RELEASE SAVEPOINT "{name}"')


def test_editing_an_entry_updates_its_event_in_place(alice_client: Client) -> None:
    alice_client.post(
        reverse("records:section_add", args=["vaccinations"]), post_data("vaccination")
    )
    entry = Vaccination.objects.get()
    before = TimelineEvent.objects.get()

    alice_client.post(
        reverse("records:section_edit", args=["vaccinations", entry.pk]),
        post_data("vaccination", vaccine="Repevax", date="2022-10-01"),
    )

    event = TimelineEvent.objects.get()
    assert event.pk == before.pk
    assert event.title == "Repevax"
    assert event.occurred_at == _noon(dt.date(2022, 10, 1))


def test_deleted_entry_leaves_the_timeline(alice_client: Client) -> None:
    alice_client.post(reverse("records:section_add", args=["maladies"]), post_data("condition"))
    alice_client.post(
        reverse("records:section_add", args=["maladies"]), post_data("condition", label="Eczéma")
    )
    asthma = Condition.objects.get(label="Asthme")

    alice_client.post(reverse("records:section_delete", args=["maladies", asthma.pk]))

    assert TimelineEvent.objects.get(source_id=asthma.pk, kind="condition").deleted
    response = alice_client.get(reverse("records:timeline"))
    assertNotContains(response, "Asthme")
    assertContains(response, "Eczéma")
    assert (
        alice_client.get(reverse("records:dashboard")).context["events"][0].title
        == "Eczéma (J45.0)"
    )


def test_timeline_lists_events_newest_first(
    alice_client: Client, alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    entry_for(alice, Vaccination, vaccine="BCG", date=dt.date(1990, 1, 1))
    entry_for(alice, Vaccination, vaccine="ROR", date=dt.date(2023, 3, 1))
    entry_for(alice, Condition, label="Asthme", start_date=dt.date(2010, 6, 1))

    response = alice_client.get(reverse("records:timeline"))

    titles = [e.title for e in response.context["page"].object_list]
    assert titles == ["ROR", "Asthme", "BCG"]
    html = response.content.decode()
    assert html.index("ROR") < html.index("Asthme") < html.index("BCG")


def test_undated_entry_is_placed_at_the_day_it_was_added(
    alice_client: Client, now: dt.datetime
) -> None:
    alice_client.post(
        reverse("records:section_add", args=["antecedents-familiaux"]), post_data("family")
    )

    event = TimelineEvent.objects.get(kind="family")
    assert event.date_is_entry_date
    assert event.occurred_at == now
    assertContains(alice_client.get(reverse("records:timeline")), "ajouté le")
    assert FamilyHistory.objects.get().event_date() is None


@pytest.fixture
def mixed_history(alice: Patient, entry_for: Callable[..., Entry]) -> None:
    entry_for(alice, Vaccination, vaccine="BCG", date=dt.date(1990, 1, 1))
    entry_for(alice, Vaccination, vaccine="ROR", date=dt.date(2023, 3, 1))
    entry_for(alice, Condition, label="Asthme", start_date=dt.date(2023, 3, 31))
    entry_for(
        alice, Hospitalisation, place="CHU", reason="Fracture", admission_date=dt.date(2023, 4, 1)
    )


def _titles(response: object) -> list[str]:
    return [e.title for e in response.context["page"].object_list]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("mixed_history")
def test_timeline_filters_by_kind(alice_client: Client) -> None:
    url = reverse("records:timeline")

    assert _titles(alice_client.get(url, {"kind": "vaccination"})) == ["ROR", "BCG"]
    assert _titles(alice_client.get(url, {"kind": ["condition", "hospitalisation"]})) == [
        "Fracture — CHU",
        "Asthme",
    ]


@pytest.mark.usefixtures("mixed_history")
def test_timeline_filters_by_date_range_bounds_included(alice_client: Client) -> None:
    url = reverse("records:timeline")

    response = alice_client.get(url, {"date_from": "2023-03-01", "date_to": "2023-03-31"})

    assert _titles(response) == ["Asthme", "ROR"]
    assert _titles(alice_client.get(url, {"date_to": "2000-01-01"})) == ["BCG"]
    assert _titles(alice_client.get(url, {"date_from": "2023-04-01", "kind": "vaccination"})) == []


@pytest.mark.usefixtures("mixed_history")
def test_timeline_reversed_date_range_is_explained(alice_client: Client) -> None:
    response = alice_client.get(
        reverse("records:timeline"), {"date_from": "2023-04-01", "date_to": "2023-03-01"}
    )

    assertContains(response, "La date de fin doit être postérieure ou égale à la date de début.")


def test_timeline_paginates_and_keeps_the_filters(
    alice_client: Client,
    alice: Patient,
    entry_for: Callable[..., Entry],
    settings: Settings,
) -> None:
    settings.MESSPACE_TIMELINE_PAGE_SIZE = 5
    for i in range(12):
        entry_for(alice, Vaccination, vaccine=f"Vaccin {i:02d}", date=dt.date(2000 + i, 1, 1))
    entry_for(alice, Condition, label="Asthme", start_date=dt.date(2015, 1, 1))
    url = reverse("records:timeline")

    first = alice_client.get(url, {"kind": "vaccination"})
    last = alice_client.get(url, {"kind": "vaccination", "page": 3})

    assert _titles(first) == [f"Vaccin {i:02d}" for i in (11, 10, 9, 8, 7)]
    assert _titles(last) == ["Vaccin 01", "Vaccin 00"]
    assertContains(first, "1 / 3")
    assertContains(first, "?kind=vaccination&amp;page=2")
    assertContains(last, "?kind=vaccination&amp;page=2")


def test_timeline_shows_only_the_patients_own_events(
    alice_client: Client, entry_for: Callable[..., Entry]
) -> None:
    dave = PatientUserFactory(given_names="David")
    entry_for(dave, Condition, label="Goutte")

    response = alice_client.get(reverse("records:timeline"))

    assertNotContains(response, "Goutte")
    assert _titles(response) == []


def test_timeline_rebuild_is_idempotent(
    alice: Patient, alice_access: RecordAccess, entry_for: Callable[..., Entry]
) -> None:
    for i in range(3):
        entry_for(alice, Vaccination, vaccine=f"Vaccin {i}", date=dt.date(2020, 1, 1 + i))
    gone = entry_for(alice, Condition, label="Rhume")
    services.entry_delete(access=alice_access, entry=gone)

    def snapshot() -> list[tuple[object, ...]]:
        return list(
            TimelineEvent.objects.order_by("pk").values_list(
                "pk", "kind", "source_id", "occurred_at", "title", "summary", "deleted"
            )
        )

    before = snapshot()
    assert services.timeline_rebuild(patient_id=alice.pk) == 4
    assert services.timeline_rebuild(patient_id=alice.pk) == 4
    assert snapshot() == before


def test_timeline_rebuild_repairs_missing_and_stale_events(
    alice: Patient, alice_client: Client, record_of: Callable[..., dict[str, list[Entry]]]
) -> None:
    """GIVEN entries bulk-imported without any timeline row, and one stale row
    WHEN the timeline is rebuilt
    THEN every live entry has exactly one event with its current title."""
    created = record_of(alice, 18)
    TimelineEvent.objects.all().delete()
    condition = created["condition"][0]
    services.timeline_event_sync(entry=condition)
    TimelineEvent.objects.filter(kind="condition").update(title="Ancien titre")

    written = services.timeline_rebuild(patient_id=alice.pk)

    assert written == 18
    assert TimelineEvent.objects.filter(patient=alice, deleted=False).count() == 18
    assert TimelineEvent.objects.get(kind="condition", source_id=condition.pk).title == str(
        condition
    )
    assert alice_client.get(reverse("records:timeline")).context["page"].paginator.count == 18


def test_the_history_says_who_brought_each_event_without_repeating_values(
    alice: Patient, alice_access: RecordAccess, alice_client: Client
) -> None:
    from records.models import Measure

    services.entry_create(
        access=alice_access,
        model=Measure,
        data={
            "kind": "weight",
            "value": "85.4",
            "measured_at": timezone.now() - dt.timedelta(days=3),
        },
    )
    # A lab report the patient uploaded herself: the lab is its declared author.
    TimelineEvent.objects.create(
        patient=alice,
        kind="document",
        source_id=1,
        occurred_at=timezone.now() - dt.timedelta(days=2),
        title="Bilan sanguin",
        summary="Compte rendu de biologie",
        author=alice.user,
        author_kind=AuthorKind.PATIENT,
        author_label="Laboratoire Paris 7e",
    )
    Condition.objects.create(
        patient=alice, author=None, author_kind=AuthorKind.IMPORT, label="Asthme"
    )
    services.timeline_event_sync(entry=Condition.objects.get(label="Asthme"))

    content = alice_client.get(reverse("records:timeline")).content.decode()

    assert "85,4 kg — 85,4 kg" not in content
    assert "Poids : 85,4 kg" in content
    assert "Saisi par" not in content
    assert "Ajouté par vous · auteur indiqué : Laboratoire Paris 7e" in content
    assert "Importé automatiquement" in content
    assert ">Import<" not in content
