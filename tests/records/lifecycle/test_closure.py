"""Closing a record, reopening it, and erasing it (R1111-36).

alice is the patient, bob her GP-like professional (care relationship),
charlie an unrelated professional. Documents go through the real ingestion
(inline here, without a scanner) so that erasure is checked on real blobs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import AccessAction, AccessBasis, AccessLog, CareRelationship
from consent.policy import (
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from consent.services import guardianship_add
from documents import services as document_services
from documents.models import Document, Upload
from messpace.accounts.models import Professional, User
from records.lifecycle import erasure
from records.lifecycle import services as closure_services
from records.lifecycle.models import (
    ErasureCause,
    Record,
    RecordClosure,
    RecordState,
    RecordTransition,
)
from records.models import Patient, Treatment
from records.services import entry_create
from tests.conftest import Refuse
from tests.documents.conftest import scanner_off  # noqa: F401
from tests.documents.test_documents import pdf_bytes
from tests.factories import (
    DEFAULT_PASSWORD,
    CareRelationshipFactory,
    CarerGrantFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
    set_record_state,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS)
Login = Callable[[Client, User], Client]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(time_machine: Any, settings: Any, media: Path, scanner_off: None) -> Path:  # noqa: F811
    time_machine.move_to(NOW, tick=False)
    settings.MESSPACE_ERASURE_GRACE_DAYS = 30
    return media


def _fill(patient: Patient, by: Professional) -> Document:
    """An entry of her own, one by her professional, and a PDF she deposited."""
    own = own_record_access(patient.user)  # type: ignore[arg-type]
    entry_create(access=own, model=Treatment, data={"medicine": "Lévothyrox", "dose": "75 µg"})
    entry_create(
        access=professional_record_access(by.user, patient.pk),
        model=Treatment,
        data={"medicine": "Ventoline", "dose": "2 bouffées"},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        deposit = document_services.document_deposit(
            access=own,
            content=pdf_bytes("Compte rendu thyroide"),
            filename="cr.pdf",
            declared_mime="application/pdf",
            doc_type="EXPPAT_2",
            title="Échographie thyroïdienne",
            act_date=dt.date(2026, 2, 1),
        )
    return Document.objects.get(upload=deposit.upload)


def _close(client: Client, **extra: str) -> Any:
    data = {"password": DEFAULT_PASSWORD, "understood": "on", **extra}
    return client.post(reverse("records:close"), data)


def _files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- Closing and reopening ---


def test_closed_record_is_invisible_to_everyone_and_reopens_in_full(
    alice_client: Client, alice: Patient, bob: Professional, charlie: Professional
) -> None:
    document = _fill(alice, bob)

    response = _close(alice_client)

    assert response.status_code == 302
    assert response["Location"] == reverse("records:closed")
    record = Record.objects.get(patient=alice)
    assert record.state == RecordState.CLOSED
    closure = RecordClosure.objects.get(record=record)
    assert closure.keep_until == dt.date(2036, 3, 10)
    assert closure.deletion_requested_at is None
    # Nobody reaches it: the patient, her professional, her pages, the document.
    with pytest.raises(Http404):
        own_record_access(alice.user)  # type: ignore[arg-type]
    with pytest.raises(Http404):
        professional_record_access(bob.user, alice.pk)
    assert alice_client.get(reverse("records:dashboard"))["Location"] == reverse("records:closed")
    assert alice_client.get(reverse("records:section_list", args=["traitements"])).status_code == (
        404
    )
    page = alice_client.get(reverse("records:closed"))
    assertContains(page, "Votre dossier est fermé")
    assertNotContains(page, "Lévothyrox")

    response = alice_client.post(reverse("records:reopen"))

    assert response.status_code == 302
    access = own_record_access(alice.user)  # type: ignore[arg-type]
    assert sorted(t.medicine for t in access.entries(Treatment)) == ["Lévothyrox", "Ventoline"]
    assert [d.pk for d in access.documents()] == [document.pk]
    assert professional_record_access(bob.user, alice.pk).basis == "care"
    closure.refresh_from_db()
    assert closure.reopened_at is not None and closure.reopened_by == alice.user
    moves = list(RecordTransition.objects.filter(record=record).values_list("to_state", flat=True))
    assert moves[-2:] == [RecordState.CLOSED, RecordState.ACTIVE]


def test_closing_and_reopening_are_in_the_access_history(
    alice_client: Client, alice: Patient
) -> None:
    _close(alice_client)
    alice_client.post(reverse("records:reopen"))

    rows = list(
        AccessLog.objects.filter(patient=alice)
        .order_by("at", "id")
        .values_list("action", "basis", "actor_id")
    )
    assert rows == [
        (AccessAction.CLOSE, AccessBasis.HOLDER, alice.user_id),
        (AccessAction.REOPEN, AccessBasis.HOLDER, alice.user_id),
    ]
    page = alice_client.get(reverse("consent:history"))
    assertContains(page, "Fermeture du dossier")
    assertContains(page, "Réouverture du dossier")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "pas-le-bon", "understood": "on"}, "Ce mot de passe n’est pas le bon."),
        ({"password": DEFAULT_PASSWORD}, "Cochez cette case pour confirmer."),
    ],
)
def test_closing_needs_the_password_and_the_acknowledgement(
    alice_client: Client, alice: Patient, data: dict[str, str], message: str
) -> None:
    response = alice_client.post(reverse("records:close"), data)

    assert response.status_code == 200
    assertContains(response, message)
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE
    assert not RecordClosure.objects.exists()
    assert not AccessLog.objects.filter(patient=alice).exists()


def test_only_the_holder_may_close_or_see_a_closed_record(
    alice: Patient, bob: Professional, charlie: Professional, client: Client, login: Login
) -> None:
    with pytest.raises(PermissionDenied):
        closure_services.record_close(access=professional_record_access(bob.user, alice.pk))
    closure_services.record_close(access=own_record_access(alice.user))  # type: ignore[arg-type]
    assert Record.objects.get(patient=alice).state == RecordState.CLOSED

    # Someone else's closed record answers 404, whatever the page.
    other = PatientUserFactory()
    login(client, other.user)
    assert client.get(reverse("records:child_closed", args=[alice.pk])).status_code == 404
    assert client.post(reverse("records:child_reopen", args=[alice.pk])).status_code == 404
    assert client.get(reverse("records:closed")).status_code == 404
    assert Record.objects.get(patient=alice).state == RecordState.CLOSED


def test_a_carer_loses_access_while_the_record_is_closed(alice: Patient) -> None:
    carer = UserFactory(first_name="Carole", last_name="MARTIN")
    CarerGrantFactory(
        patient=alice,
        carer=carer,
        sections=["treatment"],
        expires_at=NOW + dt.timedelta(days=30),
        accepted_at=NOW - dt.timedelta(days=1),
    )
    assert carer_record_access(carer, alice.pk).patient == alice
    closure_services.record_close(access=own_record_access(alice.user))  # type: ignore[arg-type]
    with pytest.raises(Http404):
        carer_record_access(carer, alice.pk)
    closure_services.record_reopen(user=alice.user)  # type: ignore[arg-type]
    assert carer_record_access(carer, alice.pk).patient == alice


def test_a_guardian_closes_and_reopens_a_child_record(client: Client, login: Login) -> None:
    parent = PatientUserFactory(given_names="Paul", birth_names="DURAND").user
    child = PatientFactory(given_names="Tom", birth_names="DURAND", birth_date=dt.date(2017, 6, 1))
    guardianship_add(patient=child, guardian=parent)
    login(client, parent)
    client.post(reverse("records:act_for", args=[child.pk]))

    response = _close(client, record=str(child.pk))

    assert response["Location"] == reverse("records:child_closed", args=[child.pk])
    assert Record.objects.get(patient=child).state == RecordState.CLOSED
    log = AccessLog.objects.get(patient=child, action=AccessAction.CLOSE)
    assert (log.actor, log.basis, log.role) == (parent, AccessBasis.GUARDIAN, "guardian")
    # Back in their own record, the guardian finds the closed one on the children page.
    assertContains(client.get(reverse("records:children")), "Dossier de Tom DURAND (fermé)")
    assert Record.objects.get(patient__user=parent).state == RecordState.ACTIVE

    client.post(reverse("records:child_reopen", args=[child.pk]))

    assert Record.objects.get(patient=child).state == RecordState.ACTIVE


# --- Erasure ---


def test_requested_erasure_waits_for_the_grace_period_then_keeps_only_the_proof(
    alice_client: Client,
    alice: Patient,
    bob: Professional,
    _setup: Path,
    time_machine: Any,
) -> None:
    _fill(alice, bob)
    dora = PatientUserFactory()
    CareRelationshipFactory(professional=bob, patient=dora)
    _fill(dora, bob)
    files_before = _files(_setup)
    assert len(files_before) >= 2

    _close(alice_client, request_deletion="on")

    closure = RecordClosure.objects.get(record__patient=alice)
    assert closure.erase_after == NOW.astimezone(dt.UTC) + dt.timedelta(days=30)
    assert erasure.records_erase_due() == 0
    page = alice_client.get(reverse("records:closed"))
    assertContains(page, "Suppression demandée")

    time_machine.move_to(NOW.astimezone(dt.UTC) + dt.timedelta(days=30, minutes=1), tick=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert erasure.records_erase_due() == 1
    assert erasure.records_erase_due() == 0  # safe twice

    closure.refresh_from_db()
    assert closure.erasure_cause == ErasureCause.REQUEST
    assert closure.erased_counts["traitements"] == 2
    assert closure.erased_counts["documents"] == 1
    assert closure.erased_counts["fichiers chiffrés"] >= 1
    alice.refresh_from_db()
    record = Record.objects.get(patient=alice)
    assert record.state == RecordState.DELETED
    assert not Treatment.objects.filter(patient=alice).exists()
    assert not Document.objects.filter(patient=alice).exists()
    assert not Upload.objects.filter(patient=alice).exists()
    assert not CareRelationship.objects.filter(patient=alice).exists()
    # The access history stays (append-only, no content), ending with the request.
    assert AccessLog.objects.filter(patient=alice, what="deletion").exists()
    # Identity kept to honour the request; contact details and the login gone.
    assert alice.nir and alice.birth_names == "MARTIN"
    assert (alice.email, alice.address_line1, alice.user_id) == ("", "", None)
    user = User.objects.get(email="alice@exemple.fr")
    assert not user.is_active and not user.has_usable_password()
    # Her files are gone from the storage; Dora's remain, and so does her record.
    remaining = _files(_setup)
    assert len(remaining) == len(files_before) - closure.erased_counts["fichiers chiffrés"]
    assert {p.name for p in remaining} <= {p.name for p in files_before}
    assert Treatment.objects.filter(patient=dora).count() == 2
    assert len(own_record_access(dora.user).documents()) == 1  # type: ignore[arg-type]
    assert RecordTransition.objects.filter(record=record, to_state=RecordState.DELETED).exists()


def test_an_emergency_reason_shows_in_the_history_and_goes_with_the_erasure(
    alice_client: Client, alice: Patient, time_machine: Any
) -> None:
    """The physician's reason is clinical text: the log names the grant, the reason
    stays in the grant, shown in the history, and erased with the record."""
    from consent.services import emergency_access_open

    doctor = ProfessionalFactory(profession="urgentiste")
    reason = "Coma diabétique, glycémie effondrée"
    emergency_access_open(
        user=doctor.user, nir=alice.nir, birth_date=alice.birth_date, reason=reason
    )
    row = AccessLog.objects.get(patient=alice, basis=AccessBasis.EMERGENCY)
    assert row.what == "emergency" and row.object_id is not None
    assertContains(alice_client.get(reverse("consent:history")), reason)

    _close(alice_client, request_deletion="on")
    time_machine.move_to(NOW + dt.timedelta(days=31), tick=False)
    assert erasure.records_erase_due() == 1

    assert AccessLog.objects.filter(pk=row.pk).exists()
    assert not any("glycémie" in what for what in AccessLog.objects.values_list("what", flat=True))


def test_a_deposit_waiting_when_the_record_closes_never_lands_in_it(
    alice: Patient, bob: Professional, mailoutbox: list[Any]
) -> None:
    """GIVEN a professional's upload queued for ingestion WHEN the record is closed
    before it runs THEN it waits in quarantine with a neutral reason: no document
    in the closed record, and no email to its holder."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        deposit = document_services.document_deposit(
            access=professional_record_access(bob.user, alice.pk),
            content=pdf_bytes("Compte rendu"),
            filename="cr.pdf",
            declared_mime="application/pdf",
            doc_type="EXPPAT_2",
            title="Consultation",
            act_date=dt.date(2026, 3, 1),
        )
    closure_services.record_close(access=own_record_access(alice.user))  # type: ignore[arg-type]

    with TestCase.captureOnCommitCallbacks(execute=True):
        state = document_services.upload_process(upload_id=deposit.upload.pk)

    assert state == "quarantined"
    upload = Upload.objects.get(pk=deposit.upload.pk)
    assert upload.reason_code == "record_closed"
    assert "n’est plus accessible" in upload.reason
    assert not Document.objects.filter(patient=alice).exists()
    assert mailoutbox == []


def test_reopening_or_cancelling_before_the_erasure_keeps_the_data(
    alice_client: Client, alice: Patient, bob: Professional, time_machine: Any
) -> None:
    _fill(alice, bob)
    _close(alice_client, request_deletion="on")
    alice_client.post(reverse("records:deletion_cancel"))
    closure = RecordClosure.objects.get(record__patient=alice)
    assert closure.deletion_requested_at is None
    assert Record.objects.get(patient=alice).state == RecordState.CLOSED

    alice_client.post(
        reverse("records:deletion_request"),
        {"password": DEFAULT_PASSWORD, "understood": "on"},
    )
    alice_client.post(reverse("records:reopen"))
    time_machine.move_to(NOW + dt.timedelta(days=200), tick=False)

    assert erasure.records_erase_due() == 0
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE
    assert Treatment.objects.filter(patient=alice).count() == 2


def test_a_deletion_request_with_a_wrong_password_changes_nothing(
    alice_client: Client, alice: Patient
) -> None:
    _close(alice_client)

    response = alice_client.post(
        reverse("records:deletion_request"), {"password": "non", "understood": "on"}
    )

    assert response.status_code == 400
    assertContains(response, "Ce mot de passe n’est pas le bon.", status_code=400)
    assert RecordClosure.objects.get(record__patient=alice).deletion_requested_at is None


def test_the_archive_is_erased_after_ten_years_and_not_a_day_before(
    alice: Patient, bob: Professional, time_machine: Any
) -> None:
    _fill(alice, bob)
    closure_services.record_close(access=own_record_access(alice.user))  # type: ignore[arg-type]

    time_machine.move_to(dt.datetime(2036, 3, 10, 23, 0, tzinfo=PARIS), tick=False)
    assert erasure.records_erase_due() == 0
    time_machine.move_to(dt.datetime(2036, 3, 11, 0, 30, tzinfo=PARIS), tick=False)
    assert erasure.records_erase_due() == 1

    closure = RecordClosure.objects.get(record__patient=alice)
    assert closure.erasure_cause == ErasureCause.RETENTION
    assert not Treatment.objects.filter(patient=alice).exists()


def test_a_claim_neither_blocks_the_holder_nor_lets_two_runs_erase(
    alice: Patient, time_machine: Any
) -> None:
    """GIVEN a due erasure claimed by a run that died
    WHEN another run comes within the hour, then after it
    THEN the first leaves it alone, the second takes it over; and a holder who
    reopens before the erasure starts wins: nothing is erased."""
    closure = closure_services.record_close(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        request_deletion=True,
    )
    later = NOW + dt.timedelta(days=31)
    time_machine.move_to(later, tick=False)
    RecordClosure.objects.filter(pk=closure.pk).update(erasure_claimed_at=later)

    assert erasure.records_erase_due() == 0
    time_machine.move_to(later + dt.timedelta(hours=2), tick=False)
    assert erasure.records_erase_due() == 1
    assert Record.objects.get(patient=alice).state == RecordState.DELETED


def test_reopening_while_claimed_wins_over_the_erasure(alice: Patient, time_machine: Any) -> None:
    closure = closure_services.record_close(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        request_deletion=True,
    )
    later = NOW + dt.timedelta(days=31)
    time_machine.move_to(later, tick=False)
    RecordClosure.objects.filter(pk=closure.pk).update(erasure_claimed_at=later)

    closure_services.record_reopen(user=alice.user)  # type: ignore[arg-type]
    erased = erasure.record_erase(closure_id=closure.pk)

    assert erased.erased_at is None
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE


def test_a_request_withdrawn_after_the_run_listed_it_is_not_carried_out(
    alice: Patient, bob: Professional, time_machine: Any
) -> None:
    """GIVEN two due requests WHEN the second holder withdraws theirs while the
    run erases the first THEN the second record is kept, not erased as 'retention'."""
    dora = PatientUserFactory()
    for patient in (alice, dora):
        closure_services.record_close(
            access=own_record_access(patient.user),  # type: ignore[arg-type]
            request_deletion=True,
        )
    time_machine.move_to(NOW + dt.timedelta(days=31), tick=False)
    real = erasure.record_erase

    def erase_then_withdraw(*, closure_id: int, now: Any = None) -> RecordClosure:
        done = real(closure_id=closure_id, now=now)
        if done.record.patient_id == alice.pk:
            closure_services.closure_cancel_deletion(user=dora.user)  # type: ignore[arg-type]
        return done

    erasure.record_erase = erase_then_withdraw  # type: ignore[assignment]
    try:
        # Alice's deadline comes first (she asked first, same grace period).
        assert erasure.records_erase_due() == 1
    finally:
        erasure.record_erase = real  # type: ignore[assignment]
    assert Record.objects.get(patient=alice).state == RecordState.DELETED
    assert Record.objects.get(patient=dora).state == RecordState.CLOSED
    assert RecordClosure.objects.get(record__patient=dora).erased_at is None


def test_a_failed_erasure_is_released_and_does_not_hold_back_the_others(
    alice: Patient, time_machine: Any, database_refuses: Refuse
) -> None:
    """GIVEN two erasures due, and the database failing while it erases Alice's
    THEN Dora's record is erased, Alice's closure is released untouched, and the
    next run erases it once the database works again."""
    dora = PatientUserFactory()
    for patient in (alice, dora):
        closure_services.record_close(
            access=own_record_access(patient.user),  # type: ignore[arg-type]
            request_deletion=True,
        )
    time_machine.move_to(NOW + dt.timedelta(days=31), tick=False)
    lift = database_refuses("records_patient", when="UPDATE", condition=f"OLD.id = {alice.pk}")

    assert erasure.records_erase_due() == 1

    assert Record.objects.get(patient=dora).state == RecordState.DELETED
    alice_closure = RecordClosure.objects.get(record__patient=alice)
    assert alice_closure.erased_at is None and alice_closure.erasure_claimed_at is None
    # Still the holder's to reopen, and retried at the next run.
    lift()
    assert erasure.records_erase_due() == 1


def test_a_guardian_cannot_ask_erasure_of_a_record_of_a_minor_of_15_or_more(
    client: Client, login: Login
) -> None:
    parent = PatientUserFactory(given_names="Paul", birth_names="DURAND").user
    teen = PatientFactory(given_names="Zoé", birth_names="DURAND", birth_date=dt.date(2010, 1, 5))
    guardianship_add(patient=teen, guardian=parent)
    login(client, parent)
    client.post(reverse("records:act_for", args=[teen.pk]))

    # The choice is not offered, and forcing it changes nothing.
    assertNotContains(client.get(reverse("records:close")), "request_deletion")
    with pytest.raises(ValidationError):
        closure_services.record_close(
            access=guardian_record_access(parent, teen.pk), request_deletion=True
        )
    _close(client, record=str(teen.pk))
    page = client.get(reverse("records:child_closed", args=[teen.pk]))
    assertContains(page, "se décide avec lui")
    response = client.post(
        reverse("records:child_deletion_request", args=[teen.pk]),
        {"password": DEFAULT_PASSWORD, "understood": "on"},
    )
    assert response.status_code == 302
    assert RecordClosure.objects.get(record__patient=teen).deletion_requested_at is None


def test_a_guardian_request_lapses_when_the_child_comes_of_age(time_machine: Any) -> None:
    parent = PatientUserFactory(given_names="Paul", birth_names="DURAND").user
    child = PatientFactory(given_names="Tom", birth_names="DURAND", birth_date=dt.date(2012, 3, 20))
    guardianship_add(patient=child, guardian=parent)
    # Tom is 13: his guardian may ask for the erasure, with the usual delay.
    closure_services.record_close(
        access=guardian_record_access(parent, child.pk), request_deletion=True
    )
    # The record stays closed, unerased, until Tom turns 18 (the deadline
    # moved past his birthday here to see the request lapse).
    RecordClosure.objects.filter(record__patient=child).update(
        erase_after=dt.datetime(2030, 3, 22, tzinfo=PARIS)
    )

    time_machine.move_to(dt.datetime(2030, 3, 21, 9, 0, tzinfo=PARIS), tick=False)
    assert erasure.records_erase_due() == 0

    closure = RecordClosure.objects.get(record__patient=child)
    assert closure.deletion_requested_at is None
    assert Record.objects.get(patient=child).state == RecordState.CLOSED


def test_wrong_passwords_count_towards_the_account_lockout(
    alice_client: Client, alice: Patient, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        alice_client.post(reverse("records:close"), {"password": "non", "understood": "on"})

    response = _close(alice_client)

    assert response.status_code == 429
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE


def test_a_record_reopened_by_another_way_is_never_erased(
    alice: Patient, time_machine: Any
) -> None:
    """GIVEN a closure with a request WHEN the record is made active again outside
    the holder's page (the demo's reset, an admin's transition) THEN the closure
    ends with it, and the erasure never runs on the open record."""
    from records.lifecycle.services import record_transition

    closure_services.record_close(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        request_deletion=True,
    )
    record_transition(
        record=Record.objects.get(patient=alice), to_state=RecordState.ACTIVE, by=None
    )
    time_machine.move_to(NOW + dt.timedelta(days=40), tick=False)

    assert erasure.records_erase_due() == 0
    assert RecordClosure.objects.get(record__patient=alice).reopened_at is not None
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE


def test_an_erased_person_is_not_created_again_by_a_cohort_import() -> None:
    """GIVEN a person imported, whose record opened, was closed and erased
    WHEN the same person comes again in a later cohort file
    THEN nothing is created or updated: the record stays deleted, without contact."""
    from tests.consent.optout.cohorts import ALICE_NIR, alice_row, csv_file, run_import

    admin = UserFactory(is_staff=True, is_superuser=True)
    run_import(admin, csv_file([alice_row()]))
    person = Patient.objects.get(nir=ALICE_NIR)
    set_record_state(person, RecordState.ACTIVE)
    person.user = UserFactory()
    person.save(update_fields=["user"])
    closure = closure_services.record_close(
        access=own_record_access(person.user),
        request_deletion=True,
    )
    erasure.record_erase(closure_id=closure.pk, now=NOW + dt.timedelta(days=31))

    again = run_import(admin, csv_file([alice_row()]))

    assert (again.created_count, again.unchanged_count) == (0, 1)
    assert Patient.objects.filter(nir=ALICE_NIR).count() == 1
    person.refresh_from_db()
    assert Record.objects.get(patient=person).state == RecordState.DELETED
    assert (person.email, person.address_line1, person.phone) == ("", "", "")


def test_every_model_about_a_patient_is_either_erased_or_kept_on_purpose() -> None:
    """A new model pointing at a patient or a record must be classified, or an
    erasure would leave its rows behind (or fail on a protected foreign key)."""
    targets = {Patient, Record}
    pointing = {
        model
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False)
        and (getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False))
        and field.related_model in targets
    }
    classified = set(erasure.ERASED_MODELS) | set(erasure.KEPT_MODELS)

    assert pointing - classified == set()
    assert set(erasure.ERASED_MODELS).isdisjoint(erasure.KEPT_MODELS)


def test_the_beat_runs_the_erasure_hourly(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["records-erase-due"]
    assert entry["task"] == "records.tasks.records_erase_due"
    assert entry["schedule"] <= 3600
