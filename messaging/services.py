"""Writes of the messaging: a professional starts a thread, either side replies,
someone reads a thread.

Who may do what is the consent policy's: a professional starts a thread, or
writes in one, with an access to the record (``RecordAccess`` from
``professional_record_access``: a basis, not blocked; emergency access while
it lasts). The patient side (the patient, or a guardian acting for a minor)
replies in the record's threads and never starts one. Each write by someone
other than the patient is written to the access history. Subjects and bodies
are sealed with the thread's data key before they reach the database.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import AccessAction
from messaging import selectors
from messaging.models import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    AuthorSide,
    Message,
    Thread,
    ThreadRead,
    ThreadState,
)
from messpace import vault

if TYPE_CHECKING:
    from consent.policy import RecordAccess

# Control characters but tab and line breaks: a body is plain text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_subject(subject: str) -> str:
    subject = " ".join(CONTROL_RE.sub("", subject or "").split())
    if not subject:
        raise ValidationError({"subject": [_("Indiquez l’objet du message.")]})
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError(
            {
                "subject": [
                    _("L’objet fait au plus %(max)d caractères (il en a %(n)d).")
                    % {"max": SUBJECT_MAX_LENGTH, "n": len(subject)}
                ]
            }
        )
    return subject


def _clean_body(body: str) -> str:
    body = CONTROL_RE.sub("", (body or "").replace("\r\n", "\n")).strip()
    if not body:
        raise ValidationError({"body": [_("Écrivez votre message.")]})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("Le message fait au plus %(max)d caractères (il en a %(n)d).")
                    % {"max": BODY_MAX_LENGTH, "n": len(body)}
                ]
            }
        )
    return body


def _add_message(thread: Thread, key: bytes, *, author_id: int, side: str, body: str) -> Message:
    message = Message(thread=thread, author_id=author_id, side=side)
    message.body_sealed = vault.encrypt(key, body.encode("utf-8"), aad=message.body_aad)
    message.save()
    message_id = message.pk
    transaction.on_commit(lambda: _enqueue_notice(message_id))
    return message


def _enqueue_notice(message_id: int) -> None:
    from messaging import tasks

    tasks.message_notify.delay(message_id)


def thread_start(
    *, access: RecordAccess, subject: str, body: str, confidential_from_guardians: bool = False
) -> Thread:
    """A professional starts a thread with the patient of ``access``.

    Refused with ``PermissionDenied`` unless ``access`` is a professional's
    access that may write; with ``ValidationError`` (French, per field) for an
    empty or too long subject or body. Nothing is written when it refuses.
    The thread is read by its author at once; the opening is logged. With a
    minor, ``confidential_from_guardians`` keeps it from the guardians: they
    never see that it exists, and its notices go to the minor's own login only.
    """
    if not selectors.professional_may_write(access):
        raise PermissionDenied
    subject, body = _clean_subject(subject), _clean_body(body)
    if confidential_from_guardians and not access.patient.is_minor:
        raise ValidationError(
            {
                "confidential_from_guardians": [
                    _("Ce patient est majeur : il n’a pas de représentant légal à qui la cacher.")
                ]
            }
        )
    if confidential_from_guardians and access.patient.user_id is None:
        raise ValidationError(
            {
                "confidential_from_guardians": [
                    _(
                        "Ce patient mineur n’a pas de compte personnel : personne ne pourrait "
                        "lire une conversation cachée à ses représentants légaux."
                    )
                ]
            }
        )
    user = access.actor
    with transaction.atomic():
        thread = Thread(
            patient=access.patient,
            professional=user.professional,
            started_by=user,
            confidential_from_guardians=confidential_from_guardians,
        )
        key = vault.new_data_key(owner=thread.owner)
        thread.wrapped_key, thread.key_id = key.wrapped, key.key_id
        thread.subject_sealed = vault.encrypt(
            key.key, subject.encode("utf-8"), aad=thread.subject_aad
        )
        thread.save()
        message = _add_message(
            thread, key.key, author_id=user.pk, side=AuthorSide.PROFESSIONAL, body=body
        )
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
        ThreadRead.objects.create(thread=thread, user=user, read_at=message.created_at)
        access.log(action=AccessAction.WRITE, what="thread", object_id=thread.pk)
    thread.refresh_from_db()
    return thread


def message_post(*, access: RecordAccess, thread: Thread, body: str) -> Message:
    """A reply in ``thread``: by its professional side, or by the patient side
    (the patient, or a guardian acting for them).

    ``thread`` must come from a selector that checked it against ``access``
    (same patient; for a professional, their own thread). A closed thread
    takes no reply (``ValidationError``). Logged unless the patient wrote it.
    """
    if thread.patient_id != access.patient.pk:
        raise PermissionDenied
    if access.role == "professional":
        if thread.professional_id != access.actor.professional.pk:
            raise PermissionDenied
        if not selectors.professional_may_write(access):
            raise PermissionDenied
        side = AuthorSide.PROFESSIONAL
    elif access.role in {"patient", "guardian"}:
        side = AuthorSide.PATIENT
        if not selectors.patient_may_reply(thread):
            raise ValidationError(
                _(
                    "Ce professionnel n’a plus accès à votre dossier : il ne pourrait pas lire "
                    "votre réponse. Votre message n’a pas été envoyé."
                )
            )
    else:
        raise PermissionDenied
    body = _clean_body(body)
    with transaction.atomic():
        current = Thread.objects.select_for_update().get(pk=thread.pk)
        if current.state != ThreadState.OPEN:
            raise ValidationError(
                _("Cette conversation est close : elle ne reçoit plus de réponse.")
            )
        message = _add_message(
            current, current.data_key(), author_id=access.actor.pk, side=side, body=body
        )
        Thread.objects.filter(pk=current.pk).update(last_message_at=message.created_at)
        thread_read_mark(thread=current, user_id=access.actor.pk, at=message.created_at)
        access.log(action=AccessAction.WRITE, what="message", object_id=current.pk)
    return message


def thread_read_mark(*, thread: Thread, user_id: int, at: dt.datetime | None = None) -> None:
    """``user_id`` has read ``thread`` up to now (or ``at``); never moves back."""
    when = at or timezone.now()
    updated = ThreadRead.objects.filter(thread=thread, user_id=user_id, read_at__lt=when).update(
        read_at=when
    )
    if not updated:
        ThreadRead.objects.get_or_create(thread=thread, user_id=user_id, defaults={"read_at": when})


def thread_state_set(*, access: RecordAccess, thread: Thread, state: str) -> bool:
    """The professional side closes its thread (no more replies) or reopens it;
    returns whether it changed. Logged as a write."""
    if access.role != "professional" or thread.professional_id != access.actor.professional.pk:
        raise PermissionDenied
    if not selectors.professional_may_write(access) or state not in ThreadState.values:
        raise PermissionDenied
    with transaction.atomic():
        changed = bool(Thread.objects.filter(pk=thread.pk).exclude(state=state).update(state=state))
        if changed:
            access.log(action=AccessAction.WRITE, what="thread", object_id=thread.pk)
    return changed


def thread_archive(*, access: RecordAccess, thread: Thread, archived: bool) -> None:
    """The patient side puts a thread away from its inbox (or back); a later message
    brings it back by itself. Nothing the other side sees changes."""
    if access.role not in {"patient", "guardian"} or thread.patient_id != access.patient.pk:
        raise PermissionDenied
    thread_read_mark(thread=thread, user_id=access.actor.pk)
    ThreadRead.objects.filter(thread=thread, user_id=access.actor.pk).update(
        archived_at=timezone.now() if archived else None
    )
