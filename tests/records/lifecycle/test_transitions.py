"""A record's lifecycle: only the allowed moves, each kept in the history; only ACTIVE opens."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from consent.policy import own_record_access, professional_patients, professional_record_access
from messpace.accounts.models import Professional
from records import services
from records.lifecycle.models import RECORD_TRANSITIONS, Record, RecordState, RecordTransition
from records.lifecycle.services import record_transition, records_transition
from records.models import Patient
from tests.factories import PatientFactory, UserFactory, set_record_state

ALL_MOVES = list(itertools.product(RecordState.values, RecordState.values))


def _record(state: str) -> Record:
    return PatientFactory(record_state=state).record


@pytest.mark.django_db
@pytest.mark.parametrize(("from_state", "to_state"), ALL_MOVES)
def test_record_transition_allows_exactly_the_listed_moves(
    from_state: str, to_state: str, now: dt.datetime
) -> None:
    record = _record(from_state)
    agent = UserFactory()
    listed = to_state in RECORD_TRANSITIONS[from_state]
    # Deleting is listed, but only the erasure does it (records_transition).
    allowed = listed and to_state != RecordState.DELETED
    history = RecordTransition.objects.filter(record=record)
    before = history.count()

    if allowed:
        record_transition(record=record, to_state=to_state, by=agent, reason="test")
    else:
        with pytest.raises(ValidationError) as caught:
            record_transition(record=record, to_state=to_state, by=agent)
        assert caught.value.code == ("erasure_only" if listed else "bad_transition")

    stored = Record.objects.get(pk=record.pk)
    if allowed:
        assert stored.state == to_state
        assert stored.state_changed_at == now
        last = history.latest("id")
        assert (last.from_state, last.to_state, last.by, last.reason, last.at) == (
            from_state,
            to_state,
            agent,
            "test",
            now,
        )
        assert history.count() == before + 1
    else:
        assert stored.state == from_state
        assert history.count() == before


@pytest.mark.django_db
def test_refused_move_is_explained_in_french() -> None:
    record = _record(RecordState.DELETED)

    with pytest.raises(ValidationError) as caught:
        record_transition(record=record, to_state=RecordState.ACTIVE, by=None)

    assert caught.value.messages == [
        "Le dossier ne peut pas passer de l’état « Supprimé » à l’état « Actif »."
    ]


@pytest.mark.django_db
def test_stale_concurrent_move_is_refused() -> None:
    """GIVEN two requests that loaded the same ACTIVE record
    WHEN the first closes it and the second, still seeing ACTIVE, closes it too
    THEN the second is refused and the history holds one closure only."""
    first = _record(RecordState.ACTIVE)
    second = Record.objects.get(pk=first.pk)

    record_transition(record=first, to_state=RecordState.CLOSED, by=None)
    with pytest.raises(ValidationError) as caught:
        record_transition(record=second, to_state=RecordState.CLOSED, by=None)

    assert caught.value.code == "race"
    assert RecordTransition.objects.filter(record=first, to_state=RecordState.CLOSED).count() == 1
    assert Record.objects.get(pk=first.pk).state == RecordState.CLOSED


@pytest.mark.django_db
def test_stale_move_to_another_state_is_refused_too() -> None:
    """The claim compares the state the caller saw: a stale CLOSED→DELETED after
    the record was reopened must not delete an active record."""
    record = _record(RecordState.CLOSED)
    stale = Record.objects.get(pk=record.pk)
    record_transition(record=record, to_state=RecordState.ACTIVE, by=None)

    assert not records_transition(
        record_ids=[stale.pk],
        from_state=RecordState.CLOSED,
        to_state=RecordState.DELETED,
        reason="stale",
    )

    assert Record.objects.get(pk=record.pk).state == RecordState.ACTIVE


@pytest.mark.django_db
def test_patient_create_opens_a_record_in_created_state_with_its_history() -> None:
    patient = services.patient_create(
        data={
            "nir": "284057512345672",
            "birth_names": "LEROY",
            "given_names": "Emma",
            "birth_date": dt.date(1984, 5, 12),
            "sex": "F",
        }
    )

    assert patient.record.state == RecordState.CREATED
    assert list(patient.record.transitions.values_list("from_state", "to_state")) == [
        ("", RecordState.CREATED)
    ]


@pytest.mark.parametrize("state", [s for s in RecordState.values if s != RecordState.ACTIVE])
def test_patient_record_answers_404_unless_active(
    alice_client: Client, alice: Patient, state: str
) -> None:
    set_record_state(alice, state)

    home = alice_client.get(reverse("records:dashboard"))
    if state == RecordState.CLOSED:
        # The holder of a closed record is shown its closure, not its content.
        assert home.status_code == 302
        assert home["Location"] == reverse("records:closed")
    else:
        assert home.status_code == 404
    assert alice_client.get(reverse("records:timeline")).status_code == 404
    assert alice_client.get(reverse("records:section_list", args=["maladies"])).status_code == 404
    assert alice.user is not None
    with pytest.raises(Http404):
        own_record_access(alice.user)


def test_closed_record_is_closed_to_professionals_too(alice: Patient, bob: Professional) -> None:
    record_transition(record=alice.record, to_state=RecordState.CLOSED, by=alice.user)

    assert not professional_patients(bob.user).exists()
    with pytest.raises(Http404):
        professional_record_access(bob.user, alice.pk)


def test_reopened_record_is_usable_again(alice_client: Client, alice: Patient) -> None:
    record_transition(record=alice.record, to_state=RecordState.CLOSED, by=alice.user)
    record_transition(record=alice.record, to_state=RecordState.ACTIVE, by=alice.user)

    assert alice_client.get(reverse("records:dashboard")).status_code == 200
    assert Record.objects.get(patient=alice).is_usable


@pytest.mark.django_db
def test_user_without_a_patient_identity_has_no_record(client: Client) -> None:
    user = UserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    assert client.get(reverse("records:dashboard")).status_code == 404
