"""Secure messaging, first step: a professional with a basis starts a thread, the
patient reads and replies and cannot start one, nobody else sees it, contents
are sealed, every read and write by others is logged, and the notice says
nothing of the content.

alice is the patient, bob her GP (a care relationship), charlie a professional
with no basis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, TestCase
from django.urls import NoReverseMatch, reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import AccessAction, AccessLog, Block
from consent.policy import own_record_access, professional_record_access
from messaging import notifications, selectors, services
from messaging.models import Message, Thread, ThreadRead
from messpace.accounts.models import Professional, User
from records.models import Patient

pytestmark = pytest.mark.django_db
Login = Callable[[Client, User], Client]

SUBJECT = "Résultats de votre prise de sang"
BODY = "Bonjour,\nvotre HbA1c est à 7,1 %. <b>On en reparle</b> lundi."


def _start(bob: Professional, alice: Patient, **kwargs: Any) -> Thread:
    assert bob.user is not None
    access = professional_record_access(bob.user, alice.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.thread_start(
            access=access, subject=kwargs.get("subject", SUBJECT), body=kwargs.get("body", BODY)
        )


def test_a_professional_starts_a_thread_the_patient_reads_and_replies(
    bob: Professional, alice: Patient, login: Login
) -> None:
    assert bob.user is not None and alice.user is not None
    pro = login(Client(), bob.user)
    start_url = reverse("pro_messaging:start", args=[alice.pk])

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = pro.post(start_url, {"subject": SUBJECT, "body": BODY})

    thread = Thread.objects.get()
    assert started.status_code == 302
    assert started["Location"] == reverse("pro_messaging:thread", args=[thread.pk])
    patient = login(Client(), alice.user)
    dashboard = patient.get(reverse("records:dashboard"))
    assertContains(dashboard, 'id="unread-badge"')
    assertContains(dashboard, "1 non lu")
    inbox = patient.get(reverse("messaging:inbox"))
    assertContains(inbox, SUBJECT)
    assertContains(inbox, "Non lu")
    page = patient.get(reverse("messaging:thread", args=[thread.pk]))
    assertContains(page, "Bonjour,<br>votre HbA1c est à 7,1 %.")
    assertContains(page, "&lt;b&gt;On en reparle&lt;/b&gt;")  # plain text, markup escaped
    assertNotContains(patient.get(reverse("records:dashboard")), 'id="unread-badge"')

    with TestCase.captureOnCommitCallbacks(execute=True):
        replied = patient.post(
            reverse("messaging:thread", args=[thread.pk]),
            {"body": "Merci docteur, à lundi.", "record": alice.pk},
        )

    assert replied.status_code == 302
    assert list(Message.objects.order_by("pk").values_list("side", flat=True)) == [
        "professional",
        "patient",
    ]
    pro_inbox = pro.get(reverse("pro_messaging:inbox"))
    assertContains(pro_inbox, SUBJECT)
    assertContains(pro_inbox, "Non lu")
    assertContains(pro.get(started["Location"]), "Merci docteur, à lundi.")


def test_contents_are_sealed_with_the_row_as_associated_data(
    bob: Professional, alice: Patient
) -> None:
    thread = _start(bob, alice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_sealed FROM messaging_thread")
        (sealed_subject,) = cursor.fetchone()
        cursor.execute("SELECT body_sealed FROM messaging_message")
        (sealed_body,) = cursor.fetchone()
    assert SUBJECT.encode() not in bytes(sealed_subject)
    assert b"HbA1c" not in bytes(sealed_body)
    assert selectors.subject(thread) == SUBJECT
    assert [m.body for m in selectors.thread_messages(thread)] == [BODY]
    # A body moved to another message of the same thread (same key) does not
    # decrypt: its id is its associated data; nor does a subject put as a body.
    services.message_post(
        access=professional_record_access(bob.user, alice.pk),  # type: ignore[arg-type]
        thread=thread,
        body="Deuxième message",
    )
    second = Message.objects.filter(thread=thread).order_by("pk").last()
    assert second is not None
    from messpace.vault import VaultError

    Message.objects.filter(pk=second.pk).update(body_sealed=bytes(sealed_body))
    with pytest.raises(VaultError):
        selectors.thread_messages(thread)
    Message.objects.filter(pk=second.pk).update(body_sealed=bytes(sealed_subject))
    with pytest.raises(VaultError):
        selectors.thread_messages(thread)


def test_the_patient_cannot_start_a_thread(alice: Patient, bob: Professional, login: Login) -> None:
    """No page for it, and the professional start page is 404 to a patient."""
    assert alice.user is not None
    patient = login(Client(), alice.user)

    response = patient.post(
        reverse("pro_messaging:start", args=[alice.pk]), {"subject": "x", "body": "y"}
    )

    assert response.status_code == 404
    assert not Thread.objects.exists()
    with pytest.raises(NoReverseMatch):
        reverse("messaging:start")
    with pytest.raises(PermissionDenied):
        services.thread_start(access=own_record_access(alice.user), subject="x", body="y")
    assert not Thread.objects.exists()


def test_a_professional_without_a_basis_gets_404_and_nothing_is_written(
    alice: Patient, bob: Professional, charlie: Professional, login: Login
) -> None:
    thread = _start(bob, alice)
    assert charlie.user is not None
    other = login(Client(), charlie.user)
    before = AccessLog.objects.count()

    for url in (
        reverse("pro_messaging:start", args=[alice.pk]),
        reverse("pro_messaging:thread", args=[thread.pk]),
    ):
        assert other.get(url).status_code == 404
        assert other.post(url, {"subject": "x", "body": "y"}).status_code == 404
    assertNotContains(other.get(reverse("pro_messaging:inbox")), SUBJECT)
    assert Message.objects.count() == 1 and AccessLog.objects.count() == before


def test_another_patients_thread_answers_404(
    alice: Patient, bob: Professional, login: Login
) -> None:
    from tests.factories import PatientUserFactory

    thread = _start(bob, alice)
    stranger = PatientUserFactory()
    client = login(Client(), stranger.user)

    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
    assert (
        client.post(
            reverse("messaging:thread", args=[thread.pk]), {"body": "x", "record": stranger.pk}
        ).status_code
        == 404
    )
    assertNotContains(client.get(reverse("messaging:inbox")), SUBJECT)
    assert Message.objects.count() == 1


def test_a_block_takes_the_professionals_threads_away(
    alice: Patient, bob: Professional, login: Login
) -> None:
    thread = _start(bob, alice)
    assert bob.user is not None
    Block.objects.create(patient=alice, professional=bob)
    pro = login(Client(), bob.user)

    assert pro.get(reverse("pro_messaging:thread", args=[thread.pk])).status_code == 404
    assert (
        pro.post(reverse("pro_messaging:thread", args=[thread.pk]), {"body": "x"}).status_code
        == 404
    )
    assertNotContains(pro.get(reverse("pro_messaging:inbox")), SUBJECT)
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"subject": "  ", "body": "x"}, "subject", "Indiquez l’objet du message."),
        ({"subject": "x" * 201, "body": "x"}, "subject", "L’objet fait au plus 200 caractères"),
        ({"subject": "Objet", "body": " \n "}, "body", "Écrivez votre message."),
        ({"subject": "Objet", "body": "x" * 5001}, "body", "Le message fait au plus 5000"),
    ],
)
def test_a_wrong_message_is_refused_with_its_reason_and_nothing_stored(
    alice: Patient,
    bob: Professional,
    login: Login,
    posted: dict[str, str],
    field: str,
    message: str,
) -> None:
    assert bob.user is not None
    pro = login(Client(), bob.user)

    response = pro.post(reverse("pro_messaging:start", args=[alice.pk]), posted)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Thread.objects.exists() and not Message.objects.exists()


def test_reads_and_writes_by_the_professional_are_in_the_access_history(
    alice: Patient, bob: Professional, login: Login
) -> None:
    assert bob.user is not None and alice.user is not None
    thread = _start(bob, alice)
    pro = login(Client(), bob.user)
    pro.get(reverse("pro_messaging:thread", args=[thread.pk]))
    patient = login(Client(), alice.user)
    patient.get(reverse("messaging:thread", args=[thread.pk]))

    logged = list(AccessLog.objects.filter(patient=alice).values_list("actor_id", "action", "what"))

    assert sorted(logged) == sorted(
        [
            (bob.user.pk, AccessAction.WRITE, "thread"),
            (bob.user.pk, AccessAction.READ, "thread"),
        ]
    )  # the patient's own reading is not logged


def test_the_notice_says_nothing_of_the_content_and_is_sent_once(
    alice: Patient, bob: Professional
) -> None:
    _start(bob, alice)  # the notice leaves once the thread is committed
    message = Message.objects.get()

    again = notifications.message_notify(message_id=message.pk)

    assert again is False  # claimed: never twice
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    text = sent.subject + sent.body + str(sent.alternatives[0][0])
    assert sent.to == [alice.user.email if alice.user else alice.email]
    for secret in (SUBJECT, "HbA1c", "reparle", bob.display_name, "généraliste"):
        assert secret not in text
    assert reverse("messaging:inbox") in sent.body


def test_a_message_read_before_its_notice_left_gets_none(alice: Patient, bob: Professional) -> None:
    assert bob.user is not None
    access = professional_record_access(bob.user, alice.pk)
    thread = services.thread_start(access=access, subject=SUBJECT, body=BODY)  # not committed
    message = Message.objects.get()
    assert alice.user is not None
    services.thread_read_mark(thread=thread, user_id=alice.user.pk)

    assert notifications.message_notify(message_id=message.pk) is False
    assert not mail.outbox


def test_the_unread_badge_costs_one_query(
    alice: Patient, bob: Professional, django_assert_num_queries: Any
) -> None:
    assert alice.user is not None
    for n in range(3):
        _start(bob, alice, subject=f"Objet {n}")
    ThreadRead.objects.filter(user=alice.user).delete()

    with django_assert_num_queries(1):
        assert selectors.unread_count(alice.user) == 3


def test_a_burst_of_messages_gives_one_notice(alice: Patient, bob: Professional) -> None:
    thread = _start(bob, alice)
    assert bob.user is not None
    access = professional_record_access(bob.user, alice.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.message_post(access=access, thread=thread, body="Et n’oubliez pas le jeûne.")

    assert len(mail.outbox) == 1
    assert Message.objects.filter(notified_at__isnull=False).count() == 2  # dealt with, once


def test_a_blocked_professional_in_emergency_opens_the_record_not_the_conversation(
    alice: Patient, bob: Professional, login: Login
) -> None:
    """GIVEN alice blocked bob WHEN he breaks the glass THEN the record opens to him
    (emergency access overrides a block) but messaging does not: no thread,
    no reply, no new conversation."""
    import datetime as dt

    from django.utils import timezone

    from consent.models import EmergencyAccess

    thread = _start(bob, alice)
    assert bob.user is not None
    Block.objects.create(patient=alice, professional=bob)
    EmergencyAccess.objects.create(
        patient=alice,
        professional=bob,
        reason="Malaise aux urgences",
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )
    pro = login(Client(), bob.user)

    assert pro.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 200
    for url in (
        reverse("pro_messaging:thread", args=[thread.pk]),
        reverse("pro_messaging:start", args=[alice.pk]),
    ):
        assert pro.get(url).status_code == 404
        assert pro.post(url, {"subject": "x", "body": "y"}).status_code == 404
    assertNotContains(pro.get(reverse("pro_messaging:inbox")), SUBJECT)
    assert Thread.objects.count() == 1 and Message.objects.count() == 1


def test_the_patient_cannot_reply_to_a_professional_who_can_no_longer_read_it(
    alice: Patient, bob: Professional, login: Login
) -> None:
    thread = _start(bob, alice)
    assert alice.user is not None
    Block.objects.create(patient=alice, professional=bob)
    patient = login(Client(), alice.user)
    url = reverse("messaging:thread", args=[thread.pk])

    page = patient.get(url)
    posted = patient.post(url, {"body": "Vous êtes là ?", "record": alice.pk})

    assertContains(page, "Ce professionnel n’a plus accès à votre dossier")
    assertNotContains(page, 'name="body"')
    assert posted.status_code == 400
    assertContains(posted, "il ne pourrait pas lire votre réponse", status_code=400)
    assert Message.objects.count() == 1


def test_a_message_after_the_person_read_is_notified_even_within_the_window(
    alice: Patient, bob: Professional
) -> None:
    thread = _start(bob, alice)  # first notice
    assert alice.user is not None and bob.user is not None
    services.thread_read_mark(thread=thread, user_id=alice.user.pk)  # alice read it
    access = professional_record_access(bob.user, alice.pk)

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.message_post(access=access, thread=thread, body="Un complément.")

    assert len(mail.outbox) == 2


def test_a_failed_send_is_retried_and_sent_once(
    alice: Patient, bob: Professional, monkeypatch: Any
) -> None:
    """A transient mail failure rolls the claim back; the retry sends it, once,
    and the grouping window did not start with the failure."""
    assert bob.user is not None
    access = professional_record_access(bob.user, alice.pk)
    services.thread_start(access=access, subject=SUBJECT, body=BODY)  # not committed
    message = Message.objects.get()
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def down(self: Any, messages: Any) -> int:
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    with pytest.raises(ConnectionRefusedError):
        notifications.message_notify(message_id=message.pk)
    monkeypatch.setattr(EmailBackend, "send_messages", real)

    assert notifications.message_notify(message_id=message.pk) is True
    assert notifications.message_notify(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_the_access_history_names_the_messaging(
    alice: Patient, bob: Professional, login: Login
) -> None:
    assert alice.user is not None
    _start(bob, alice)

    history = login(Client(), alice.user).get(reverse("consent:history"))

    assertContains(history, "Conversation de la messagerie")
    assertNotContains(history, ">thread<")


@pytest.mark.parametrize("count", [1, 12])
def test_the_inboxes_cost_the_same_queries_whatever_their_size(
    alice: Patient,
    bob: Professional,
    login: Login,
    django_assert_max_num_queries: Any,
    count: int,
) -> None:
    for n in range(count):
        _start(bob, alice, subject=f"Objet {n}")
    assert alice.user is not None and bob.user is not None
    patient = login(Client(), alice.user)
    pro = login(Client(), bob.user)
    patient.get(reverse("messaging:inbox"))
    pro.get(reverse("pro_messaging:inbox"))

    with django_assert_max_num_queries(14):
        assert patient.get(reverse("messaging:inbox")).status_code == 200
    with django_assert_max_num_queries(14):  # and the access history: bases, rows
        assert pro.get(reverse("pro_messaging:inbox")).status_code == 200


def test_the_professional_closes_and_reopens_the_patient_cannot_reply_meanwhile(
    alice: Patient, bob: Professional, login: Login
) -> None:
    thread = _start(bob, alice)
    assert bob.user is not None and alice.user is not None
    pro = login(Client(), bob.user)
    patient = login(Client(), alice.user)
    url = reverse("messaging:thread", args=[thread.pk])

    closed = pro.post(reverse("pro_messaging:thread_state", args=[thread.pk, "closed"]))
    page = patient.get(url)
    refused = patient.post(url, {"body": "Encore une question", "record": alice.pk})
    pro.post(reverse("pro_messaging:thread_state", args=[thread.pk, "open"]))
    reopened = patient.post(url, {"body": "Encore une question", "record": alice.pk})

    assert closed.status_code == 302
    assertContains(page, "Cette conversation est close")
    assertNotContains(page, 'name="body"')
    assert refused.status_code == 400
    assert reopened.status_code == 302
    assert Message.objects.filter(side="patient").count() == 1
    # Only its own professional side changes a thread's state.
    assert (
        patient.post(reverse("pro_messaging:thread_state", args=[thread.pk, "closed"])).status_code
        == 404
    )
    assert (
        pro.get(reverse("pro_messaging:thread_state", args=[thread.pk, "closed"])).status_code
        == 405
    )


def test_the_professional_inbox_is_in_each_listed_patients_access_history(
    alice: Patient, bob: Professional, charlie: Professional, login: Login
) -> None:
    from tests.factories import CareRelationshipFactory, PatientUserFactory

    other = PatientUserFactory()
    CareRelationshipFactory(professional=bob, patient=other)
    _start(bob, alice)
    _start(bob, other)
    assert bob.user is not None
    before = {
        p: AccessLog.objects.filter(patient=p, what="threads").count() for p in (alice, other)
    }

    login(Client(), bob.user).get(reverse("pro_messaging:inbox"))

    for patient in (alice, other):
        rows = AccessLog.objects.filter(patient=patient, what="threads")
        assert rows.count() == before[patient] + 1
        assert rows.latest("pk").basis == "care" and rows.latest("pk").actor == bob.user


def test_the_patient_archives_a_thread_and_a_new_message_brings_it_back(
    alice: Patient, bob: Professional, login: Login
) -> None:
    thread = _start(bob, alice)
    assert alice.user is not None and bob.user is not None
    patient = login(Client(), alice.user)

    archived = patient.post(
        reverse("messaging:archive", args=[thread.pk]), {"archived": "1", "record": alice.pk}
    )
    inbox = patient.get(reverse("messaging:inbox"))
    archives = patient.get(reverse("messaging:inbox"), {"archives": "1"})
    services.message_post(
        access=professional_record_access(bob.user, alice.pk), thread=thread, body="Rappel."
    )
    back = patient.get(reverse("messaging:inbox"))

    assert archived.status_code == 302
    assertNotContains(inbox, SUBJECT)
    assertContains(archives, SUBJECT)
    assertContains(back, SUBJECT)
    # Nothing changes on the professional's side.
    assertContains(login(Client(), bob.user).get(reverse("pro_messaging:inbox")), SUBJECT)
    # Another person's thread cannot be archived.
    from tests.factories import PatientUserFactory

    stranger = PatientUserFactory()
    assert (
        login(Client(), stranger.user)
        .post(
            reverse("messaging:archive", args=[thread.pk]), {"archived": "1", "record": stranger.pk}
        )
        .status_code
        == 404
    )
