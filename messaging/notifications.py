"""The notice of a new message: an email saying there is one, with a link, and
nothing else (no subject, no body, no specialty, not even who wrote).

Safe to run twice (the message is claimed first). A message its recipient read
before the notice left gets none, and a burst of messages to one person gives
one email per ``NOTICE_GROUPING_SECONDS``: the later ones are dropped while the
first is still unanswered (nothing read since), since it already says that
messages wait; once the person has read, the next message is notified.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from messaging.models import AuthorSide, Message, ThreadRead
from messpace.mail import notice_email
from records.lifecycle.models import RecordState

NOTICE_GROUPING_SECONDS = 15 * 60


def _recipient(message: Message) -> tuple[int | None, str, str]:
    """(user id, email, link) of the side that did not write ``message``."""
    thread = message.thread
    site = settings.MESSPACE_SITE_URL.rstrip("/")
    if message.side == AuthorSide.PROFESSIONAL:
        patient = thread.patient
        user = patient.user
        email = user.email if user is not None else patient.email
        if thread.confidential_from_guardians and user is None:
            # A minor's record address may be a parent's: only their own login.
            email = ""
        return (user.pk if user else None), email, site + reverse("messaging:inbox")
    user = thread.professional.user
    return (
        (user.pk if user else None),
        (user.email if user else ""),
        site + reverse("pro_messaging:inbox"),
    )


def message_notify(*, message_id: int) -> bool:
    """Email the other side once that a message waits; returns whether one left."""
    with transaction.atomic():
        claimed = Message.objects.filter(
            pk=message_id,
            notified_at__isnull=True,
            thread__patient__record__state=RecordState.ACTIVE,
        ).update(notified_at=timezone.now())
        if not claimed:
            return False
        message = Message.objects.select_related(
            "thread__patient__user", "thread__professional__user"
        ).get(pk=message_id)
        user_id, email, link = _recipient(message)
        if not email:
            return False
        if (
            user_id is not None
            and ThreadRead.objects.filter(
                thread_id=message.thread_id, user_id=user_id, read_at__gte=message.created_at
            ).exists()
        ):
            return False  # read before the notice left
        if _grouped(email, user_id):
            return False  # the notice sent a moment ago, still unread, says it already
        context = {"site_name": settings.MESSPACE_SITE_NAME, "link": link}
        # A failed send raises and rolls the claim back, for the retry; the
        # grouping window starts only once a notice has really left.
        notice_email("message_received", context, email).send()
        cache.set(_sent_key(email), timezone.now().isoformat(), timeout=NOTICE_GROUPING_SECONDS)
    return True


def _sent_key(email: str) -> str:
    return f"message-notice-sent:{email.lower()}"


def _grouped(email: str, user_id: int | None) -> bool:
    """A notice left for this address less than ``NOTICE_GROUPING_SECONDS`` ago and
    its recipient has read nothing since: that notice covers this message too."""
    last = cache.get(_sent_key(email))
    if last is None:
        return False
    sent_at = dt.datetime.fromisoformat(last)
    if timezone.now() - sent_at >= dt.timedelta(seconds=NOTICE_GROUPING_SECONDS):
        return False
    if user_id is None:
        return True
    return not ThreadRead.objects.filter(user_id=user_id, read_at__gte=sent_at).exists()
