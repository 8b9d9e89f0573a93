"""How a notice ends: opposition, early opening (online or through support), or
opening once the delay has passed without an answer.

Each outcome moves the record through :func:`records.lifecycle.services.records_transition`
and records itself on the notice (``Notice.outcome``) in the same transaction,
so the dashboard counts outcomes in SQL. Emails of a notice not sent yet
when it is answered are cancelled: they have no purpose left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import AccessAction, AccessBasis, AccessLog
from consent.optout.models import (
    DeliveryChannel,
    DeliveryState,
    GuardianToInform,
    Notice,
    NoticeDelivery,
    NoticeOutcome,
)
from consent.optout.services.campaigns import code_hash
from messpace.accounts.models import User
from records.lifecycle.models import Record, RecordState
from records.lifecycle.services import records_transition
from records.models import Patient
from records.selectors import patient_by_identity

# Records opened per transaction by ``records_open_due``.
OPEN_BATCH = 500


# --- Opening after the delay ---


def records_open_due(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Open every notified record whose delay has passed without opposition; returns
    how many (at most ``limit`` per call).

    Safe to run twice and catches up after downtime: the records move by
    batches of :data:`OPEN_BATCH` with a conditional UPDATE, so a record
    opposed or activated meanwhile is left alone.
    """
    moment = now or timezone.now()
    due = list(
        Record.objects.filter(
            state=RecordState.NOTIFIED,
            notice__opens_at__lte=moment,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    opened = 0
    for start in range(0, len(due), OPEN_BATCH):
        with transaction.atomic():
            moved = records_transition(
                record_ids=due[start : start + OPEN_BATCH],
                from_state=RecordState.NOTIFIED,
                to_state=RecordState.ACTIVE,
                at=moment,
                reason="Ouverture automatique après le délai d’opposition",
            )
            _notices_answered(moved, NoticeOutcome.OPENED, moment)
            opened += len(moved)
    return opened


def _notices_answered(
    record_ids: Sequence[int], outcome: str, at: dt.datetime, *, by_support: bool = False
) -> None:
    if not record_ids:
        return
    Notice.objects.filter(record_id__in=record_ids, outcome="").update(
        outcome=outcome, outcome_at=at, outcome_by_support=by_support
    )
    # Emails not sent yet have no purpose left (an opposition erased their address
    # and code). One being sent (claimed) is left as it is: nobody knows yet
    # whether it left.
    NoticeDelivery.objects.filter(
        notice__record_id__in=record_ids,
        channel=DeliveryChannel.EMAIL,
        state=DeliveryState.PENDING,
    ).update(state=DeliveryState.CANCELLED)


# --- Answering a notice: opposition or early activation (public page) ---

NOTICE_NOT_FOUND = gettext_lazy(
    "Ce code et cette date de naissance ne correspondent à aucun avis en attente. "
    "Vérifiez-les sur votre courrier ou votre courriel, ou appelez le service d’assistance."
)


def _pending_notice(code: str, birth_date: dt.date) -> Notice:
    """The issued notice of a record still waiting to open, for this code and birth
    date; one answer for every miss, so that codes cannot be probed."""
    notice = (
        Notice.objects.select_related("record__patient")
        .filter(
            code_hash=code_hash(code),
            record__patient__birth_date=birth_date,
            record__state=RecordState.NOTIFIED,
            issued_at__isnull=False,
        )
        .first()
    )
    if notice is None:
        raise ValidationError(str(NOTICE_NOT_FOUND))
    return notice


def notice_oppose(*, code: str, birth_date: dt.date) -> Record:
    """The person opposes before the opening: the record never opens, and only what
    is needed to honour the opposition is kept (identity, NIR, the notice's
    reference); contact details and delivery addresses are erased."""
    return _oppose(_pending_notice(code, birth_date))


def _oppose(notice: Notice, *, by: User | None = None, reason: str = "") -> Record:
    record = notice.record
    patient = record.patient
    now = timezone.now()
    with transaction.atomic():
        moved = records_transition(
            record_ids=[record.pk],
            from_state=RecordState.NOTIFIED,
            to_state=RecordState.OPPOSED,
            by=by,
            at=now,
            reason=reason or "Opposition avant l’ouverture (avis d’information)",
        )
        if not moved:
            raise ValidationError(str(NOTICE_NOT_FOUND))
        _notices_answered(moved, NoticeOutcome.OPPOSED, now, by_support=by is not None)
        Patient.objects.filter(pk=patient.pk).update(
            address_line1="", address_line2="", postcode="", city="", email="", phone=""
        )
        NoticeDelivery.objects.filter(notice=notice).update(address_lines=[], email="")
        Notice.objects.filter(pk=notice.pk).update(code_sealed=b"")
        GuardianToInform.objects.filter(patient=patient).delete()
    record.state = RecordState.OPPOSED
    return record


def notice_activate(*, code: str, birth_date: dt.date, email: str, password: str) -> User:
    """The person opens their record now and gets their login (email and password).

    A minor's record is opened early with the support service, not here: the
    notice reached the guardians, and the account would be the child's.
    Raises ``ValidationError`` (French, per field) and changes nothing on refusal.
    """
    notice = _pending_notice(code, birth_date)
    patient = notice.record.patient
    if patient.is_minor:
        raise ValidationError(
            _(
                "Le dossier d’un mineur s’ouvre par anticipation auprès du service d’assistance ; vous pouvez en revanche vous y opposer ici."
            )
        )
    email = email.strip().lower()
    if patient.user_id is not None:
        raise ValidationError(str(NOTICE_NOT_FOUND))
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": [_("Cette adresse est déjà celle d’un compte : choisissez-en une autre.")]}
        )
    candidate = User(email=email, first_name=patient.first_given_name)
    validate_password(password, user=candidate)
    now = timezone.now()
    with transaction.atomic():
        moved = records_transition(
            record_ids=[notice.record.pk],
            from_state=RecordState.NOTIFIED,
            to_state=RecordState.ACTIVE,
            at=now,
            reason="Ouverture anticipée par le titulaire",
        )
        if not moved:
            raise ValidationError(str(NOTICE_NOT_FOUND))
        _notices_answered(moved, NoticeOutcome.ACTIVATED_EARLY, now)
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=patient.first_given_name,
            last_name=(patient.used_name or patient.birth_names).title(),
        )
        Patient.objects.filter(pk=patient.pk).update(user=user)
    return user


# --- Support agents, for a caller whose identity they checked ---


def notice_for_caller(*, nir: str, birth_date: dt.date) -> Notice:
    """The pending notice of the caller's record, found by NIR and birth date;
    the same refusal for every miss."""
    patient = patient_by_identity(nir=nir, birth_date=birth_date, active_only=False)
    notice = (
        Notice.objects.select_related("record__patient")
        .filter(
            record__patient=patient, record__state=RecordState.NOTIFIED, issued_at__isnull=False
        )
        .first()
        if patient is not None
        else None
    )
    if notice is None:
        raise ValidationError(_("Aucun avis en attente ne correspond à ces informations."))
    return notice


def _log_support(agent: User, notice: Notice, what: str) -> None:
    AccessLog.objects.create(
        patient=notice.record.patient,
        actor=agent,
        actor_label=agent.get_full_name() or agent.email,
        role="agent",
        basis=AccessBasis.SUPPORT,
        action=AccessAction.WRITE,
        what=what,
    )


def caller_oppose(*, agent: User, nir: str, birth_date: dt.date) -> Record:
    """A support agent records a caller's opposition (identity checked by the agent);
    written to the record's access history as the agent's."""
    if not agent.is_support_agent:
        raise PermissionDenied
    notice = notice_for_caller(nir=nir, birth_date=birth_date)
    with transaction.atomic():
        record = _oppose(
            notice, by=agent, reason="Opposition recueillie par le service d’assistance"
        )
        _log_support(agent, notice, "opposition")
    return record


def caller_activate(*, agent: User, nir: str, birth_date: dt.date) -> Record:
    """A support agent opens a caller's record early (no login is made: the person
    activates their account later with the code of their notice or a new one)."""
    if not agent.is_support_agent:
        raise PermissionDenied
    notice = notice_for_caller(nir=nir, birth_date=birth_date)
    record = notice.record
    now = timezone.now()
    with transaction.atomic():
        moved = records_transition(
            record_ids=[record.pk],
            from_state=RecordState.NOTIFIED,
            to_state=RecordState.ACTIVE,
            at=now,
            by=agent,
            reason="Ouverture anticipée recueillie par le service d’assistance",
        )
        if not moved:
            raise ValidationError(_("Aucun avis en attente ne correspond à ces informations."))
        _notices_answered(moved, NoticeOutcome.ACTIVATED_EARLY, now, by_support=True)
        _log_support(agent, notice, "activation")
    record.state = RecordState.ACTIVE
    return record
