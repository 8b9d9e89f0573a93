"""Secure messaging: threads a professional starts with a patient, their messages,
and who has read them.

A thread belongs to one patient's record and to the professional who started it
(its professional side). Its subject and every message body are encrypted at
rest under the thread's own data key (``wrapped_key``, wrapped by the vault's
master key, so rotation re-wraps it), each with its own id as associated data:
a ciphertext moved to another row does not decrypt. Nothing of the content is
stored in clear. Writes go through ``messaging.services``; reads through
``messaging.selectors``, which go through the consent policy.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messpace import vault

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 5000


class ThreadState(models.TextChoices):
    OPEN = "open", _("Ouverte")
    CLOSED = "closed", _("Close")


class Thread(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "records.Patient", on_delete=models.CASCADE, related_name="message_threads"
    )
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="message_threads"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=8, choices=ThreadState.choices, default=ThreadState.OPEN)
    # With a minor: kept from the guardians, who never see that it exists.
    confidential_from_guardians = models.BooleanField(default=False)
    subject_sealed = models.BinaryField()
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    # The last message's time, for the inboxes' order and unread state.
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["patient", "-last_message_at"], name="thread_patient_recent"),
            models.Index(
                fields=["professional", "-last_message_at"], name="thread_professional_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}"

    @property
    def owner(self) -> str:
        """The vault owner of this thread's data key."""
        return f"thread:{self.public_id}"

    @property
    def subject_aad(self) -> str:
        return f"thread:{self.public_id}:subject"

    def data_key(self) -> bytes:
        """The thread's data key, unwrapped by the vault."""
        return vault.unwrap(wrapped=bytes(self.wrapped_key), key_id=self.key_id, owner=self.owner)


class AuthorSide(models.TextChoices):
    PROFESSIONAL = "professional", _("Professionnel")
    PATIENT = "patient", _("Patient")


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=16, choices=AuthorSide.choices)
    body_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    # When the recipient's notice was dealt with (sent, or dropped: read first,
    # or grouped with one sent a moment ago); a second run does nothing.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["thread", "created_at"], name="message_thread_time")]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @property
    def body_aad(self) -> str:
        return f"message:{self.public_id}:body"


class ThreadRead(models.Model):
    """Until when one person has read one thread (their side's unread state)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)
    # Put away by this person (the patient side's archive); a newer message from
    # the other side brings it back to the inbox.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lecture d’une conversation")
        verbose_name_plural = _("lectures des conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "user"],
                violation_error_message=_("Cette lecture est déjà enregistrée."),
                name="thread_read_once_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id}"
