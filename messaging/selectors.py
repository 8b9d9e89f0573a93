"""Reads of the messaging, through the consent policy.

- The patient side reads the threads of the record its ``RecordAccess`` opens
  (the patient's own, or a child's for a guardian acting for them).
- A professional reads their own threads with the patients they still have a
  basis for (``professional_patients``: a block or the end of every basis
  takes the threads away); opening one needs ``professional_record_access``.

Another person's thread id answers 404. Each thread carries ``unread``: a
message from the other side newer than this person's reading of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from consent.models import Block
from consent.policy import RecordAccess, professional_patients
from messaging.models import AuthorSide, Message, Thread, ThreadRead
from messpace import vault
from messpace.accounts.models import User
from records.lifecycle.models import RecordState

NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _with_unread(threads: QuerySet[Thread], *, user_id: int, other_side: str) -> QuerySet[Thread]:
    read_at = ThreadRead.objects.filter(thread=OuterRef("pk"), user_id=user_id).values("read_at")
    threads = threads.annotate(my_read_at=Coalesce(Subquery(read_at[:1]), Value(NEVER)))
    newer = Message.objects.filter(
        thread=OuterRef("pk"), side=other_side, created_at__gt=OuterRef("my_read_at")
    )
    return threads.annotate(unread=Exists(newer))


def patient_threads(*, access: RecordAccess, archived: bool | None = None) -> QuerySet[Thread]:
    """The record's threads, newest first, each with ``unread`` for this person; with
    ``archived``, only those this person put away since their last message (True)
    or the others (False)."""
    threads = Thread.objects.filter(patient=access.patient).select_related("professional__user")
    if not access.sees_guardian_confidential:
        # A guardian never learns that a thread kept from them exists.
        threads = threads.filter(confidential_from_guardians=False)
    threads = _with_unread(threads, user_id=access.actor.pk, other_side=AuthorSide.PROFESSIONAL)
    if archived is not None:
        put_away = ThreadRead.objects.filter(
            thread=OuterRef("pk"),
            user_id=access.actor.pk,
            archived_at__gte=OuterRef("last_message_at"),
        )
        threads = threads.annotate(archived=Exists(put_away)).filter(archived=archived)
    return threads.order_by("-last_message_at", "-pk")


def patient_thread(*, access: RecordAccess, thread_id: int) -> Thread:
    thread = patient_threads(access=access).filter(pk=thread_id).first()
    if thread is None:
        raise Http404
    return thread


def professional_threads(user: User) -> QuerySet[Thread]:
    """This professional's threads with the patients they may still open."""
    if not user.is_authenticated or not user.is_professional:
        return Thread.objects.none()
    professional = user.professional
    # A block ends the threads, emergency access notwithstanding.
    threads = (
        Thread.objects.filter(
            professional=professional,
            patient__in=professional_patients(user).values("pk"),
        )
        .exclude(patient__in=Block.objects.filter(professional=professional).values("patient_id"))
        .select_related("patient")
    )
    return _with_unread(threads, user_id=user.pk, other_side=AuthorSide.PATIENT).order_by(
        "-last_message_at", "-pk"
    )


def professional_thread(user: User, thread_id: int) -> Thread:
    thread = professional_threads(user).filter(pk=thread_id).first()
    if thread is None:
        raise Http404
    return thread


def professional_may_write(access: RecordAccess) -> bool:
    """A professional's access allows messaging: it may write, and the patient has
    not blocked them (emergency access opens the record, not the conversation)."""
    return (
        access.role == "professional"
        and access.can_write
        and not Block.objects.filter(
            patient=access.patient, professional=access.actor.professional
        ).exists()
    )


def patient_may_reply(thread: Thread) -> bool:
    """The professional side can still read the thread: no block, and a basis for
    the record (a reply they could never read is refused rather than lost)."""
    user = thread.professional.user
    if user is None:
        return False
    return (
        professional_patients(user).filter(pk=thread.patient_id).exists()
        and not Block.objects.filter(
            patient_id=thread.patient_id, professional_id=thread.professional_id
        ).exists()
    )


def unread_count(user: User) -> int:
    """Threads of the user's own active record with a message they have not read
    (the badge of every page: one query)."""
    if not user.is_authenticated:
        return 0
    threads = Thread.objects.filter(patient__user=user, patient__record__state=RecordState.ACTIVE)
    unread = _with_unread(threads, user_id=user.pk, other_side=AuthorSide.PROFESSIONAL)
    return unread.filter(unread=True).count()  # type: ignore[misc]


@dataclass(frozen=True)
class ShownMessage:
    side: str
    author_name: str
    body: str
    created_at: dt.datetime


def subject(thread: Thread) -> str:
    return vault.decrypt(
        thread.data_key(), bytes(thread.subject_sealed), aad=thread.subject_aad
    ).decode("utf-8")


def subjects(threads: list[Thread]) -> list[tuple[Thread, str]]:
    """Each thread with its decrypted subject (no query: the keys are on the rows)."""
    return [(thread, subject(thread)) for thread in threads]


def thread_messages(thread: Thread) -> list[ShownMessage]:
    """The thread's messages, oldest first, decrypted with one unwrap of its key."""
    key = thread.data_key()
    rows = (
        Message.objects.filter(thread=thread)
        .select_related("author", "author__professional")
        .order_by("created_at", "pk")
    )
    shown = []
    for message in rows:
        author = message.author
        if message.side == AuthorSide.PROFESSIONAL and author.is_professional:
            name = author.professional.display_name
        else:
            name = author.get_full_name() or author.email
        shown.append(
            ShownMessage(
                side=message.side,
                author_name=name,
                body=vault.decrypt(key, bytes(message.body_sealed), aad=message.body_aad).decode(
                    "utf-8"
                ),
                created_at=message.created_at,
            )
        )
    return shown
