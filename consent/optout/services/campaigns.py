"""Opt-out campaigns: issuing each person's notice once, by email or by letter.

``campaign_start`` gives every targeted record (state ``created``, no notice
yet) one ``Notice`` row. ``campaign_run`` then issues them batch by batch:
in one transaction per batch it draws the personal codes, moves the records
to ``notified``, plans each recipient's delivery, and prints the letters of
the batch (one PDF and one manifest, stored encrypted), so that a crash
leaves a batch either wholly issued or not at all. Emails leave afterwards,
one by one, each claimed first: an email whose worker died while sending is
replaced by a letter rather than sent twice; a returned email is replaced
by a letter (:func:`deliveries_bounced`). ``campaigns_resume`` (beat) runs
again a campaign whose message was lost. How each notice ends (opposition,
early opening, opening after the delay) is in
:mod:`consent.optout.services.outcomes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import smtplib
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from consent.optout.models import (
    Campaign,
    CampaignState,
    CohortMember,
    DeliveryChannel,
    DeliveryState,
    GuardianToInform,
    LetterBatch,
    Notice,
    NoticeDelivery,
)
from messpace import vault
from messpace.blobs import blob_put, blobs_delete_after_erasure
from messpace.mail import notice_email
from records.lifecycle.models import Record, RecordState
from records.lifecycle.services import records_transition
from records.models import Patient

if TYPE_CHECKING:
    from consent.optout.letters import LetterData

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# One task does this much, then enqueues the next: a few minutes of work, far
# below the broker's visibility timeout (an hour) after which Redis would hand
# the message to a second worker.
BATCHES_PER_RUN = 10
EMAILS_PER_RUN = 2000
# Unambiguous characters (no 0/O, 1/I/L) for codes read from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# An email claimed this long ago and never marked sent is presumed lost with its worker.
SENDING_STALE = dt.timedelta(minutes=15)
# A running campaign without any progress for this long has lost its message
# (``campaigns_resume``, beat every 10 minutes, enqueues it again).
CAMPAIGN_STALLED = dt.timedelta(minutes=10)


def code_hash(code: str) -> str:
    """Keyed hash of a personal code (what the database keeps to check it)."""
    normalised = code.replace("-", "").replace(" ", "").upper()
    key = hashlib.sha256(b"messpace-notice-code:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def opening_moment(notified_at: dt.datetime, delay_days: int) -> dt.datetime:
    """Midnight (Paris time) starting the day the record opens: the notice's day plus
    the delay. The person may oppose until the end of the day before; letters
    print that day, whatever the daylight-saving change in between."""
    opens_on = timezone.localdate(notified_at) + dt.timedelta(days=delay_days)
    return timezone.make_aware(dt.datetime.combine(opens_on, dt.time(0, 0)))


def campaign_targets(campaign: Campaign) -> QuerySet[Record]:
    """Records the campaign covers: state created, no notice yet, within its filters."""
    qs = Record.objects.filter(state=RecordState.CREATED).filter(
        ~Exists(Notice.objects.filter(record_id=OuterRef("pk")))
    )
    if campaign.cohort_import_id is not None:
        qs = qs.filter(
            Exists(
                CohortMember.objects.filter(
                    cohort_import_id=campaign.cohort_import_id, patient_id=OuterRef("patient_id")
                )
            )
        )
    prefixes = [p.strip() for p in campaign.postcode_prefixes.split(",") if p.strip()]
    if prefixes:
        condition = Q()
        for prefix in prefixes:
            condition |= Q(patient__postcode__startswith=prefix)
        qs = qs.filter(condition)
    if campaign.birth_year_from:
        qs = qs.filter(patient__birth_date__year__gte=campaign.birth_year_from)
    if campaign.birth_year_to:
        qs = qs.filter(patient__birth_date__year__lte=campaign.birth_year_to)
    return qs


def campaign_start(*, campaign: Campaign) -> int:
    """Start a draft campaign: one notice per targeted record, then the sending task.

    Returns the number of notices. A campaign already started is left alone
    (returns 0); a record another campaign reached meanwhile is skipped by the
    one-notice-per-record constraint.
    """
    now = timezone.now()
    with transaction.atomic():
        started = Campaign.objects.filter(pk=campaign.pk, state=CampaignState.DRAFT).update(
            state=CampaignState.RUNNING, started_at=now
        )
        if not started:
            return 0
        key = vault.new_data_key(owner=f"campaign:{campaign.pk}")
        Campaign.objects.filter(pk=campaign.pk).update(wrapped_key=key.wrapped, key_id=key.key_id)
        record_ids = list(campaign_targets(campaign).values_list("pk", flat=True))
        Notice.objects.bulk_create(
            [Notice(campaign_id=campaign.pk, record_id=pk) for pk in record_ids],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        transaction.on_commit(lambda: _enqueue(campaign.pk))
    return len(record_ids)


def _enqueue(campaign_id: int) -> None:
    from consent.optout.tasks import campaign_run

    campaign_run.delay(campaign_id)


def _campaign_key(campaign: Campaign) -> bytes:
    return vault.unwrap(
        wrapped=bytes(campaign.wrapped_key), key_id=campaign.key_id, owner=f"campaign:{campaign.pk}"
    )


def campaign_batch_size() -> int:
    """Notices issued per batch, hence letters per PDF at most (the setting
    ``MESSPACE_CAMPAIGN_BATCH_SIZE``, 1,000 by default)."""
    return int(settings.MESSPACE_CAMPAIGN_BATCH_SIZE)


def campaign_run(
    *,
    campaign_id: int,
    batch_size: int | None = None,
    max_batches: int | None = None,
    max_emails: int | None = None,
) -> bool:
    """Issue the pending notices of a running campaign, batch by batch, then send
    the emails; safe to run twice (even at once, on two workers), and a run after a
    crash resumes where it stopped. Anything but a running campaign is left alone.

    A run does at most ``max_batches`` batches and ``max_emails`` emails
    (``BATCHES_PER_RUN`` and ``EMAILS_PER_RUN`` by default) and returns True when
    work remains, so that a campaign of millions is many short tasks rather than
    one that outlives the broker's visibility timeout.
    """
    if not Campaign.objects.filter(pk=campaign_id, state=CampaignState.RUNNING).exists():
        return False
    size = batch_size or campaign_batch_size()
    max_batches = max_batches or BATCHES_PER_RUN
    max_emails = max_emails or EMAILS_PER_RUN
    batches = 0
    while notices_issue_batch(campaign_id=campaign_id, size=size):
        batches += 1
        if batches >= max_batches:
            return True
    if emails_send(campaign_id=campaign_id, limit=max_emails) >= max_emails:
        return True
    pending = _awaiting_answer(
        NoticeDelivery.objects.filter(
            notice__campaign_id=campaign_id,
            channel=DeliveryChannel.EMAIL,
            state=DeliveryState.PENDING,
        )
    )
    if pending.exists():
        # Fewer sent than the bound (refused addresses, answers, another worker's
        # claims) yet some still wait: another run, not the resume beat's delay.
        return True
    Campaign.objects.filter(pk=campaign_id, state=CampaignState.RUNNING).exclude(
        Exists(Notice.objects.filter(campaign_id=OuterRef("pk"), issued_at__isnull=True))
    ).exclude(
        Exists(
            _awaiting_answer(
                NoticeDelivery.objects.filter(notice__campaign_id=OuterRef("pk"))
            ).filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING])
        )
    ).update(state=CampaignState.DONE, finished_at=timezone.now())
    return False


def _awaiting_answer(deliveries: QuerySet[NoticeDelivery]) -> QuerySet[NoticeDelivery]:
    """Deliveries of notices still waiting for an answer. Once the person opposed or
    opened their record (online, through the support service or after the delay),
    an email not sent yet has no purpose left, and opposing erased its address and
    the sealed code: it stays unsent, and the campaign does not wait for it."""
    return deliveries.filter(notice__outcome="", notice__record__state=RecordState.NOTIFIED)


def notices_issue_batch(*, campaign_id: int, size: int = BATCH_SIZE) -> int:
    """Issue up to ``size`` notices in one transaction; returns how many it handled.

    Rows are locked with SKIP LOCKED, so two workers share a campaign without
    issuing a notice twice. A record that left the state ``created`` since the
    campaign started (opened or opposed through an agent) gets no notice: its
    notice, never issued, is withdrawn.
    """
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state != CampaignState.RUNNING:
            return 0
        # The records are locked too: their state, read here, holds until the commit.
        notices = list(
            Notice.objects.select_for_update(skip_locked=True, of=("self", "record"))
            .filter(campaign_id=campaign_id, issued_at__isnull=True)
            .select_related("record__patient")
            .order_by("pk")[:size]
        )
        if not notices:
            return 0
        withdrawn = [n.pk for n in notices if n.record.state != RecordState.CREATED]
        if withdrawn:
            Notice.objects.filter(pk__in=withdrawn).delete()
            log.info(
                "campaign %s: %d notices withdrawn (records no longer created)",
                campaign_id,
                len(withdrawn),
            )
        issued = [n for n in notices if n.record.state == RecordState.CREATED]
        key = _campaign_key(campaign)
        letters: list[tuple[NoticeDelivery, str]] = []
        for notice in issued:
            code = new_code()
            notice.code_hash = code_hash(code)
            notice.code_sealed = vault.encrypt(key, code.encode(), aad=f"notice:{notice.pk}:code")
            notice.reference = f"C{campaign_id}-{notice.pk:07d}"
            notice.issued_at = now
            notice.opens_at = opening_moment(now, campaign.delay_days)
            for delivery in _plan_deliveries(notice):
                if delivery.channel == DeliveryChannel.LETTER:
                    letters.append((delivery, code))
        records_transition(
            record_ids=[notice.record_id for notice in issued],
            from_state=RecordState.CREATED,
            to_state=RecordState.NOTIFIED,
            at=now,
            reason="Avis d’information envoyé (campagne)",
        )
        Notice.objects.bulk_update(
            issued, ["code_hash", "code_sealed", "reference", "issued_at", "opens_at"]
        )
        if letters:
            _print_letters(campaign, letters, now)
    return len(notices)


def _address(patient: Patient) -> list[str]:
    lines = [patient.address_line1, patient.address_line2, f"{patient.postcode} {patient.city}"]
    if patient.country and patient.country != "FR":
        lines.append(patient.country)
    return [line.strip() for line in lines if line and line.strip()]


def _plan_deliveries(notice: Notice) -> list[NoticeDelivery]:
    """The person (or, for a minor, each guardian found by NIR) by email if known,
    else by letter; a minor without a known guardian gets a letter at home
    addressed to their legal guardians."""
    patient = notice.record.patient
    recipients: list[tuple[str, str, str, list[str]]] = []
    if patient.is_minor:
        nirs = list(
            GuardianToInform.objects.filter(patient=patient).values_list("guardian_nir", flat=True)
        )
        for guardian in Patient.objects.filter(nir__in=nirs).order_by("nir"):
            recipients.append(
                (guardian.nir, guardian.full_name, guardian.email, _address(guardian))
            )
        if not recipients:
            # Letters are always French (the print house's documents), whatever
            # the language of the admin who started the campaign.
            name = f"Aux représentants légaux de {patient.full_name}"
            recipients.append(("home", name, "", _address(patient)))
    else:
        recipients.append(("self", patient.full_name, patient.email, _address(patient)))
    deliveries = [
        NoticeDelivery(
            notice=notice,
            recipient_key=key[:16],
            recipient_name=name[:200],
            channel=DeliveryChannel.EMAIL if email else DeliveryChannel.LETTER,
            email=email,
            address_lines=address,
        )
        for key, name, email, address in recipients
    ]
    NoticeDelivery.objects.bulk_create(deliveries)
    return deliveries


def _print_letters(
    campaign: Campaign, letters: list[tuple[NoticeDelivery, str]], now: dt.datetime
) -> None:
    """One PDF and one manifest for these letters, stored encrypted; the deliveries
    are marked printed in the same transaction."""
    from consent.optout.letters import LetterData, manifest_csv

    number = (
        LetterBatch.objects.filter(campaign=campaign)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    data = [
        LetterData(
            reference=delivery.notice.reference,
            recipient_name=delivery.recipient_name,
            address_lines=tuple(delivery.address_lines),
            patient_name=delivery.notice.record.patient.full_name,
            for_minor=delivery.recipient_key != "self",
            code=code,
            notified_on=timezone.localdate(now),
            opens_on=timezone.localdate(delivery.notice.opens_at),
            oppose_url=settings.MESSPACE_SITE_URL.rstrip("/") + "/opposition/",
        )
        for delivery, code in letters
    ]
    batch = LetterBatch.objects.create(
        campaign=campaign, number=number, count=len(data), pdf_blob="", manifest_blob=""
    )
    key = vault.new_data_key(owner=batch.owner)
    batch.pdf_blob = blob_put(data_key=key.key, plaintext=_render(data), aad=f"{batch.owner}:pdf")
    batch.manifest_blob = blob_put(
        data_key=key.key,
        plaintext=manifest_csv(data, batch_number=number),
        aad=f"{batch.owner}:manifest",
    )
    batch.wrapped_key, batch.key_id = key.wrapped, key.key_id
    batch.save(update_fields=["pdf_blob", "manifest_blob", "wrapped_key", "key_id"])
    NoticeDelivery.objects.filter(pk__in=[d.pk for d, _code in letters]).update(
        state=DeliveryState.PRINTED, letter_batch=batch, sent_at=now
    )


def _render(data: Sequence[LetterData]) -> bytes:
    from consent.optout.letters import DEFAULT_INSURER, render_batch

    return render_batch(data, insurer=DEFAULT_INSURER, site_name=settings.MESSPACE_SITE_NAME)


def emails_send(*, campaign_id: int, limit: int | None = None) -> int:
    """Send up to ``limit`` (None: all) of the campaign's pending emails, each
    claimed first; returns how many left.

    A failed send puts the email back for the retry; an address the mail server
    refuses outright is a bounce, known at once (a letter replaces it). An email
    claimed long ago and never marked sent (its worker died mid-send) is replaced
    by a letter: the person may then receive both, but never the same notice
    twice by the same channel, and nobody is skipped. Emails of notices answered
    meanwhile are not sent (see ``_awaiting_answer``).
    """
    _replace_lost_emails(campaign_id)
    pending = list(
        _awaiting_answer(
            NoticeDelivery.objects.filter(
                notice__campaign_id=campaign_id,
                channel=DeliveryChannel.EMAIL,
                state=DeliveryState.PENDING,
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not pending:
        return 0
    key = _campaign_key(Campaign.objects.get(pk=campaign_id))
    sent = 0
    for delivery_id in pending:
        claimed = _awaiting_answer(
            NoticeDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
        ).update(state=DeliveryState.SENDING, claimed_at=timezone.now())
        if not claimed:
            continue
        delivery = NoticeDelivery.objects.select_related("notice__record__patient").get(
            pk=delivery_id
        )
        notice = delivery.notice
        answered = notice.outcome or notice.record.state != RecordState.NOTIFIED
        if answered or not notice.code_sealed or not delivery.email:
            # Answered between the claim and this read: nothing to send any more.
            NoticeDelivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING).update(
                state=DeliveryState.CANCELLED
            )
            continue
        code = vault.decrypt(key, bytes(notice.code_sealed), aad=f"notice:{notice.pk}:code")
        context = {
            "recipient_name": delivery.recipient_name,
            "patient_name": notice.record.patient.full_name,
            "for_minor": delivery.recipient_key != "self",
            "code": code.decode(),
            "opens_on": timezone.localdate(notice.opens_at) if notice.opens_at else None,
            "reference": notice.reference,
            "site_name": settings.MESSPACE_SITE_NAME,
            "oppose_url": settings.MESSPACE_SITE_URL.rstrip("/") + "/opposition/",
        }
        try:
            notice_email("opt_out_notice", context, delivery.email).send()
        except smtplib.SMTPRecipientsRefused:
            log.warning(
                "campaign %s: address refused, delivery %s goes by letter", campaign_id, delivery_id
            )
            if not _email_replaced_by_letter(campaign_id, delivery_id):
                # The person answered meanwhile: no letter either.
                NoticeDelivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING).update(
                    state=DeliveryState.CANCELLED
                )
            continue
        except Exception:
            NoticeDelivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING).update(
                state=DeliveryState.PENDING, claimed_at=None
            )
            raise
        # Only from "sending": a claim so slow that it was presumed lost and replaced
        # by a letter meanwhile stays "bounced" (the letter is the delivery of record).
        sent += NoticeDelivery.objects.filter(pk=delivery_id, state=DeliveryState.SENDING).update(
            state=DeliveryState.SENT, sent_at=timezone.now()
        )
    return sent


def _replace_lost_emails(campaign_id: int) -> int:
    """Replace by a letter every email of the campaign claimed more than
    ``SENDING_STALE`` ago and never marked sent; returns how many."""
    stale = timezone.now() - SENDING_STALE
    lost = list(
        _awaiting_answer(
            NoticeDelivery.objects.filter(
                notice__campaign_id=campaign_id,
                channel=DeliveryChannel.EMAIL,
                state=DeliveryState.SENDING,
                claimed_at__lt=stale,
            )
        ).values_list("pk", flat=True)
    )
    replaced = 0
    for delivery_id in lost:
        replaced += _email_replaced_by_letter(campaign_id, delivery_id, claimed_before=stale)
    return replaced


def _email_replaced_by_letter(
    campaign_id: int, delivery_id: int, *, claimed_before: dt.datetime | None = None
) -> bool:
    """``delivery_bounced`` for an email this process found claimed (by itself, or
    by a worker presumed dead when ``claimed_before`` is given); returns whether a
    letter replaced it.

    Under the campaign's row lock, so that the letter's batch takes the next
    number even while another worker prints a batch of the same campaign; under
    the record's, so that an answer (which erases the address and the code)
    cannot slip in; and the claim is checked again, so that an email marked sent
    meanwhile is left alone. Locks in the order campaign, record, delivery, as
    ``_oppose`` takes record then deliveries.
    """
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        record_id = (
            NoticeDelivery.objects.filter(pk=delivery_id)
            .values_list("notice__record_id", flat=True)
            .first()
        )
        if record_id is None:
            return False
        waiting = (
            Record.objects.select_for_update()
            .filter(pk=record_id, state=RecordState.NOTIFIED)
            .values_list("pk", flat=True)
            .first()
        )
        if waiting is None:
            return False
        still = NoticeDelivery.objects.select_for_update().filter(
            pk=delivery_id, state=DeliveryState.SENDING
        )
        if claimed_before is not None:
            still = still.filter(claimed_at__lt=claimed_before)
        if still.values_list("pk", flat=True).first() is None:
            return False
        return delivery_bounced(delivery_id=delivery_id) is not None


def campaigns_resume(*, stalled_for: dt.timedelta = CAMPAIGN_STALLED) -> list[int]:
    """Enqueue the run again of every running campaign that has made no progress
    for ``stalled_for``: no notice issued, no email claimed, sent or replaced,
    since then (its message was lost with the broker, or its last run ended
    leaving an email claimed by a dead worker). Returns their ids.

    Safe to run twice and alongside a live run: ``campaign_run`` resumes where
    the last one stopped, and two runs share the work without doing it twice.
    """
    since = timezone.now() - stalled_for
    issued = Notice.objects.filter(campaign_id=OuterRef("pk"), issued_at__gte=since)
    delivered = NoticeDelivery.objects.filter(notice__campaign_id=OuterRef("pk")).filter(
        Q(claimed_at__gte=since) | Q(sent_at__gte=since) | Q(bounced_at__gte=since)
    )
    stalled = list(
        Campaign.objects.filter(state=CampaignState.RUNNING, started_at__lt=since)
        .exclude(Exists(issued))
        .exclude(Exists(delivered))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for campaign_id in stalled:
        log.warning("campaign %s: no progress for %s, run enqueued again", campaign_id, stalled_for)
        _enqueue(campaign_id)
    return stalled


def delivery_bounced(*, delivery_id: int) -> NoticeDelivery | None:
    """An email came back undelivered (or was lost): the notice goes by letter instead,
    printed as a batch of its own, and the opening moves so that the person has
    the whole delay from the letter. Only for an email sent or being sent; the
    caller holds the campaign's and the record's locks. Safe twice.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            NoticeDelivery.objects.select_for_update()
            .select_related("notice__record__patient", "notice__campaign")
            .filter(
                pk=delivery_id,
                channel=DeliveryChannel.EMAIL,
                state__in=[DeliveryState.SENT, DeliveryState.SENDING],
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.state = DeliveryState.BOUNCED
        delivery.bounced_at = now
        delivery.save(update_fields=["state", "bounced_at"])
        notice = delivery.notice
        _delay_opening(notice, now)
        address = delivery.address_lines or _address(notice.record.patient)
        try:
            with transaction.atomic():
                letter = NoticeDelivery.objects.create(
                    notice=notice,
                    recipient_key=delivery.recipient_key,
                    recipient_name=delivery.recipient_name,
                    channel=DeliveryChannel.LETTER,
                    address_lines=address,
                )
        except IntegrityError:
            return None
        code = vault.decrypt(
            _campaign_key(notice.campaign),
            bytes(notice.code_sealed),
            aad=f"notice:{notice.pk}:code",
        ).decode()
        _print_letters(notice.campaign, [(letter, code)], now)
    return letter


def _delay_opening(notice: Notice, now: dt.datetime) -> None:
    """A notice that reaches its person only now, by a replacement letter, gives
    them the whole delay from now (R1111-28): the opening moves later, never
    earlier, and the letter prints the new date."""
    opens_at = opening_moment(now, notice.campaign.delay_days)
    if notice.opens_at is None or notice.opens_at < opens_at:
        Notice.objects.filter(pk=notice.pk).update(opens_at=opens_at)
        notice.opens_at = opens_at


def deliveries_bounced(*, campaign_id: int, delivery_ids: Sequence[int]) -> dict[int, str]:
    """Sent emails of the campaign came back undelivered: each goes by letter, all
    the letters in one batch (one PDF). Returns, per delivery id, ``"replaced"``
    (a letter printed), ``"bounced"`` (marked; a letter to that recipient existed
    already), ``"answered"`` (the person answered meanwhile: nothing done) or
    ``"unchanged"`` (not a sent email of the campaign, e.g. already bounced).

    One transaction, under the campaign's row lock and the records' (so that no
    answer slips in between the check and the letter), in the order campaign,
    records, deliveries. A letter that does not fit raises ``LetterLayoutError``
    and nothing changes. Safe twice.
    """
    now = timezone.now()
    results = dict.fromkeys(delivery_ids, "unchanged")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        rows = list(
            NoticeDelivery.objects.filter(
                pk__in=delivery_ids,
                channel=DeliveryChannel.EMAIL,
                state=DeliveryState.SENT,
                notice__campaign_id=campaign_id,
            ).values_list("pk", "notice__record_id")
        )
        waiting = set(
            Record.objects.select_for_update()
            .filter(pk__in={record_id for _, record_id in rows}, state=RecordState.NOTIFIED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for delivery_id, record_id in rows:
            if record_id not in waiting:
                results[delivery_id] = "answered"
        emails = list(
            NoticeDelivery.objects.select_for_update(of=("self",))
            .select_related("notice__record__patient")
            .filter(
                pk__in=[d for d, r in rows if r in waiting],
                state=DeliveryState.SENT,
            )
            .order_by("pk")
        )
        existing = set(
            NoticeDelivery.objects.filter(
                notice_id__in={e.notice_id for e in emails}, channel=DeliveryChannel.LETTER
            ).values_list("notice_id", "recipient_key")
        )
        key = _campaign_key(campaign)
        letters: list[tuple[NoticeDelivery, str]] = []
        for email in emails:
            results[email.pk] = "bounced"
            if (email.notice_id, email.recipient_key) in existing:
                continue
            email.notice.campaign = campaign
            _delay_opening(email.notice, now)
            existing.add((email.notice_id, email.recipient_key))
            letter = NoticeDelivery.objects.create(
                notice=email.notice,
                recipient_key=email.recipient_key,
                recipient_name=email.recipient_name,
                channel=DeliveryChannel.LETTER,
                address_lines=email.address_lines or _address(email.notice.record.patient),
            )
            code = vault.decrypt(
                key, bytes(email.notice.code_sealed), aad=f"notice:{email.notice_id}:code"
            ).decode()
            letters.append((letter, code))
            results[email.pk] = "replaced"
        NoticeDelivery.objects.filter(pk__in=[e.pk for e in emails]).update(
            state=DeliveryState.BOUNCED, bounced_at=now
        )
        if letters:
            _print_letters(campaign, letters, now)
    return results


def letter_batches_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of the letter batches older than
    ``MESSPACE_LETTER_RETENTION_DAYS``: they name people, with their address
    and code, and the print house has had them. The batch row keeps its
    counts. Returns how many batches; safe to run twice."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=settings.MESSPACE_LETTER_RETENTION_DAYS)
    purged = 0
    for batch_id in LetterBatch.objects.filter(
        created_at__lt=cutoff, purged_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            batch = (
                LetterBatch.objects.select_for_update()
                .filter(pk=batch_id, purged_at__isnull=True)
                .first()
            )
            if batch is None:
                continue
            names = [n for n in (batch.pdf_blob, batch.manifest_blob) if n]
            LetterBatch.objects.filter(pk=batch_id).update(
                pdf_blob="", manifest_blob="", wrapped_key=b"", purged_at=moment
            )
            transaction.on_commit(partial(blobs_delete_after_erasure, names, owner=batch.owner))
            purged += 1
    return purged
