"""The write services' contracts: authorship, permission, soft delete and stale instances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from consent.models import AccessLog
from consent.policy import RecordAccess
from messpace.accounts.models import Professional
from records import services
from records.models import AuthorKind, Condition, Entry, Patient, TimelineEvent


def test_patient_entry_is_authored_by_the_patient(
    alice_access: RecordAccess, alice: Patient
) -> None:
    entry = services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})

    assert (entry.patient, entry.author, entry.author_kind) == (
        alice,
        alice.user,
        AuthorKind.PATIENT,
    )


def test_professional_entry_is_authored_by_the_professional(
    bob_access: RecordAccess, alice: Patient, bob: Professional
) -> None:
    entry = services.entry_create(access=bob_access, model=Condition, data={"label": "HTA"})

    assert (entry.patient, entry.author, entry.author_kind) == (
        alice,
        bob.user,
        AuthorKind.PROFESSIONAL,
    )


def test_imported_entry_has_no_author_and_is_labelled_import(alice: Patient) -> None:
    entry = services.entry_import(patient=alice, model=Condition, data={"label": "Diabète"})

    assert (entry.author, entry.author_kind) == (None, AuthorKind.IMPORT)
    assert TimelineEvent.objects.get(source_id=entry.pk, kind="condition").author_label == "Import"
    assert not AccessLog.objects.exists()


def test_patient_may_not_update_or_delete_a_professionals_entry(
    alice_access: RecordAccess, bob_access: RecordAccess
) -> None:
    entry = services.entry_create(access=bob_access, model=Condition, data={"label": "HTA"})

    with pytest.raises(PermissionDenied):
        services.entry_update(access=alice_access, entry=entry, data={"label": "Rien"})
    with pytest.raises(PermissionDenied):
        services.entry_delete(access=alice_access, entry=entry)

    stored = Condition.objects.get(pk=entry.pk)
    assert (stored.label, stored.deleted_at) == ("HTA", None)


def test_professional_may_not_update_or_delete_the_patients_entry(
    alice_access: RecordAccess, bob_access: RecordAccess
) -> None:
    entry = services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})

    with pytest.raises(PermissionDenied):
        services.entry_update(access=bob_access, entry=entry, data={"label": "Rien"})
    with pytest.raises(PermissionDenied):
        services.entry_delete(access=bob_access, entry=entry)

    stored = Condition.objects.get(pk=entry.pk)
    assert (stored.label, stored.deleted_at) == ("Asthme", None)


def test_second_delete_keeps_the_first_trace(
    alice_access: RecordAccess, alice: Patient, time_machine: Any, now: dt.datetime
) -> None:
    """GIVEN an entry deleted at 10:00
    WHEN a second request (double click, stale tab) deletes it again at 10:05
    THEN the first deletion's time and author are kept."""
    entry = services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})
    stale = Condition.objects.get(pk=entry.pk)
    services.entry_delete(access=alice_access, entry=entry)

    time_machine.move_to(now + dt.timedelta(minutes=5), tick=False)
    services.entry_delete(access=alice_access, entry=stale)

    stored = Condition.objects.get(pk=entry.pk)
    assert (stored.deleted_at, stored.deleted_by) == (now, alice.user)
    assert stale.deleted_at == now


def test_update_of_an_entry_deleted_meanwhile_is_refused_and_does_not_restore_it(
    alice_access: RecordAccess,
) -> None:
    """GIVEN alice opened an entry in two tabs and deleted it in the first
    WHEN she saves the (stale) second tab
    THEN the edit is refused with a French message and the entry stays deleted,
    out of the timeline."""
    entry = services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})
    stale = Condition.objects.get(pk=entry.pk)
    services.entry_delete(access=alice_access, entry=entry)

    with pytest.raises(ValidationError) as caught:
        services.entry_update(access=alice_access, entry=stale, data={"label": "Asthme sévère"})

    assert caught.value.messages == [
        "Cet élément a été supprimé entre-temps : il ne peut plus être modifié."
    ]
    stored = Condition.objects.get(pk=entry.pk)
    assert stored.is_deleted
    assert stored.label == "Asthme"
    assert TimelineEvent.objects.get(kind="condition", source_id=entry.pk).deleted


def test_update_writes_only_the_fields_it_changes(alice_access: RecordAccess) -> None:
    """Two edits of different fields from two stale copies both survive."""
    entry = services.entry_create(access=alice_access, model=Condition, data={"label": "Asthme"})
    copy_a = Condition.objects.get(pk=entry.pk)
    copy_b = Condition.objects.get(pk=entry.pk)

    services.entry_update(access=alice_access, entry=copy_a, data={"label": "Asthme allergique"})
    services.entry_update(access=alice_access, entry=copy_b, data={"notes": "Ventoline si besoin"})

    stored = Condition.objects.get(pk=entry.pk)
    assert (stored.label, stored.notes) == ("Asthme allergique", "Ventoline si besoin")


def test_timeline_event_sync_is_safe_to_call_twice(
    alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    entry = entry_for(alice, Condition, label="Asthme")

    first = services.timeline_event_sync(entry=entry)
    second = services.timeline_event_sync(entry=entry)

    assert first.pk == second.pk
    assert TimelineEvent.objects.filter(kind="condition", source_id=entry.pk).count() == 1
