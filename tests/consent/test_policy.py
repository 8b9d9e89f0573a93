"""The access policy: who may open which record, what they read, what they may change."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from consent.models import AccessAction, AccessBasis, AccessLog, CareRelationship
from consent.policy import (
    RecordAccess,
    own_record_access,
    professional_patients,
    professional_record_access,
)
from messpace.accounts.models import Professional
from records.lifecycle.models import RecordState
from records.models import AuthorKind, Condition, Patient, TimelineEvent
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    set_record_state,
)


def _condition(patient: Patient, label: str, **extra: object) -> Condition:
    return Condition.objects.create(patient=patient, label=label, **extra)


# --- Which records a professional may open ---


def test_professional_sees_patients_with_an_open_care_relationship(
    alice: Patient, bob: Professional
) -> None:
    PatientFactory()  # someone bob does not care for

    assert list(professional_patients(bob.user)) == [alice]
    assert professional_record_access(bob.user, alice.pk).patient == alice


def test_ended_care_relationship_gives_no_access(alice: Patient, bob: Professional) -> None:
    CareRelationship.objects.filter(professional=bob).update(ended_at=timezone.now())

    assert not professional_patients(bob.user).exists()
    with pytest.raises(Http404):
        professional_record_access(bob.user, alice.pk)


def test_new_open_relationship_after_an_ended_one_gives_access_again(
    alice: Patient, bob: Professional
) -> None:
    CareRelationship.objects.filter(professional=bob).update(ended_at=timezone.now())
    CareRelationshipFactory(professional=bob, patient=alice)

    assert list(professional_patients(bob.user)) == [alice]


@pytest.mark.parametrize("state", [s for s in RecordState.values if s != RecordState.ACTIVE])
def test_record_not_active_is_closed_to_its_professionals(
    alice: Patient, bob: Professional, state: str
) -> None:
    set_record_state(alice, state)

    assert not professional_patients(bob.user).exists()
    with pytest.raises(Http404):
        professional_record_access(bob.user, alice.pk)


def test_unrelated_professional_gets_404(alice: Patient, charlie: Professional) -> None:
    assert not professional_patients(charlie.user).exists()
    with pytest.raises(Http404):
        professional_record_access(charlie.user, alice.pk)


def test_unknown_patient_id_gets_404(bob: Professional) -> None:
    with pytest.raises(Http404):
        professional_record_access(bob.user, 987654321)


def test_non_professionals_have_no_patients(alice: Patient) -> None:
    assert alice.user is not None
    assert not professional_patients(alice.user).exists()
    assert not professional_patients(AnonymousUser()).exists()  # type: ignore[arg-type]


@pytest.mark.django_db
def test_professional_never_opens_their_own_record_as_a_professional() -> None:
    """A nurse is also a patient; a care relationship to herself opens nothing."""
    patient = PatientUserFactory()
    nurse = ProfessionalFactory(user=patient.user, profession="infirmier")
    CareRelationshipFactory(professional=nurse, patient=patient)

    assert not professional_patients(nurse.user).exists()
    assert own_record_access(nurse.user).patient == patient


def test_professional_access_states_its_basis(alice: Patient, bob: Professional) -> None:
    access = professional_record_access(bob.user, alice.pk)

    assert (access.role, access.basis, access.is_self) == (
        "professional",
        AccessBasis.CARE_RELATIONSHIP,
        False,
    )


def test_patient_access_is_to_their_own_record(alice: Patient) -> None:
    assert alice.user is not None
    access = own_record_access(alice.user)

    assert (access.patient, access.role, access.is_self) == (alice, "patient", True)


# --- What an access reads ---


def test_entries_are_the_patients_live_entries_only(alice: Patient) -> None:
    dave = PatientFactory()
    kept = _condition(alice, "Asthme")
    _condition(alice, "Rhume", deleted_at=timezone.now())
    _condition(dave, "Goutte")
    assert alice.user is not None
    access = own_record_access(alice.user)

    assert list(access.entries(Condition)) == [kept]


def test_entry_or_404_hides_other_patients_and_deleted_entries(alice: Patient) -> None:
    dave = PatientFactory()
    theirs = _condition(dave, "Goutte")
    deleted = _condition(alice, "Rhume", deleted_at=timezone.now())
    mine = _condition(alice, "Asthme")
    assert alice.user is not None
    access = own_record_access(alice.user)

    assert access.entry_or_404(Condition, mine.pk) == mine
    for entry_id in (theirs.pk, deleted.pk, 987654321):
        with pytest.raises(Http404):
            access.entry_or_404(Condition, entry_id)


def test_timeline_is_the_patients_events_not_deleted(alice: Patient) -> None:
    dave = PatientFactory()
    now = timezone.now()
    common = {"occurred_at": now, "author_kind": AuthorKind.PATIENT}
    TimelineEvent.objects.create(patient=alice, kind="condition", source_id=1, title="A", **common)
    TimelineEvent.objects.create(
        patient=alice, kind="condition", source_id=2, title="B", deleted=True, **common
    )
    TimelineEvent.objects.create(patient=dave, kind="condition", source_id=3, title="C", **common)
    assert alice.user is not None

    titles = list(own_record_access(alice.user).timeline().values_list("title", flat=True))

    assert titles == ["A"]


# --- What an access may change ---


@pytest.fixture
def dave(alice: Patient) -> Professional:
    """Another professional caring for alice."""
    pro = ProfessionalFactory()
    CareRelationshipFactory(professional=pro, patient=alice)
    return pro


def test_may_modify_follows_authorship(
    alice: Patient, bob: Professional, dave: Professional
) -> None:
    by_alice = _condition(alice, "A", author=alice.user, author_kind=AuthorKind.PATIENT)
    by_bob = _condition(alice, "B", author=bob.user, author_kind=AuthorKind.PROFESSIONAL)
    by_dave = _condition(alice, "D", author=dave.user, author_kind=AuthorKind.PROFESSIONAL)
    imported = _condition(alice, "I", author=None, author_kind=AuthorKind.IMPORT)
    assert alice.user is not None
    alice_access = own_record_access(alice.user)
    bob_access = professional_record_access(bob.user, alice.pk)

    assert [alice_access.may_modify(e) for e in (by_alice, by_bob, by_dave, imported)] == [
        True,
        False,
        False,
        False,
    ]
    assert [bob_access.may_modify(e) for e in (by_alice, by_bob, by_dave, imported)] == [
        False,
        True,
        False,
        False,
    ]


def test_read_only_access_may_modify_nothing(alice: Patient) -> None:
    entry = _condition(alice, "A", author=alice.user, author_kind=AuthorKind.PATIENT)
    assert alice.user is not None
    read_only: RecordAccess = dataclasses.replace(own_record_access(alice.user), can_write=False)

    assert not read_only.may_modify(entry)


# --- The access log ---


def test_professional_access_is_logged_with_who_what_and_basis(
    alice: Patient, bob: Professional
) -> None:
    access = professional_record_access(bob.user, alice.pk)

    access.log(action=AccessAction.WRITE, what="condition", object_id=42)

    log = AccessLog.objects.get()
    assert (log.patient, log.actor, log.role, log.basis) == (
        alice,
        bob.user,
        "professional",
        AccessBasis.CARE_RELATIONSHIP,
    )
    assert (log.action, log.what, log.object_id) == ("write", "condition", 42)
    assert log.actor_label == "Dr Bob Durand, Médecin généraliste"


def test_patients_own_access_is_not_logged(alice: Patient) -> None:
    assert alice.user is not None

    own_record_access(alice.user).log(action=AccessAction.READ, what="dashboard")

    assert not AccessLog.objects.exists()


def test_access_history_lists_newest_first(alice: Patient, bob: Professional) -> None:
    access = professional_record_access(bob.user, alice.pk)
    for what in ("dashboard", "condition", "timeline"):
        access.log(action=AccessAction.READ, what=what)

    assert list(AccessLog.objects.filter(patient=alice).values_list("what", flat=True)) == [
        "timeline",
        "condition",
        "dashboard",
    ]
