"""Opt-out campaigns run by a real Celery worker on Redis and PostgreSQL.

A campaign over a few hundred people (adults with and without an email address,
minors whose guardians are informed) goes from ``campaign_start`` through Redis
to a worker subprocess consuming a private queue, with small batches so that a
worker can be SIGKILLed between them. Whatever the kills, each person gets one
notice, each recipient one delivery: an email written once by the worker's
email backend (a file per message, since the worker cannot reach this
process's locmem outbox), or a letter listed once in the manifests of the
letter batches. The beat task ``campaigns_resume`` finishes a campaign whose
message was lost; its finer cases run inline, without a worker, at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import fnmatch
import io
import os
import re
import signal
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.signals import before_task_publish
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count, F
from django.test import TestCase
from django.utils import timezone

from consent.optout import tasks
from consent.optout.letters import MANIFEST_DELIMITER
from consent.optout.models import (
    Campaign,
    CampaignState,
    DeliveryChannel,
    DeliveryState,
    GuardianToInform,
    LetterBatch,
    Notice,
    NoticeDelivery,
)
from consent.optout.services import campaigns as campaign_services
from consent.optout.services import outcomes
from messpace import vault
from messpace.accounts.models import User
from messpace.blobs import blob_get
from messpace.celery import app as celery_app
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.lifecycle.services import record_transition
from records.models import Patient
from tests.factories import PatientFactory, UserFactory
from tests.integration.conftest import Worker, wait_until

# Notices per batch in these tests (1,000 in production): 400 people make 10
# batches, so that a kill lands between committed batches. Each batch costs
# about a second of PDF rendering, whatever its size.
BATCH = 40
PEOPLE = 400
# The worker loads the email backend below by this path (it imports this module).
BACKEND = "tests.integration.test_campaign_worker.FileEmailBackend"
EMAIL_DIR_VAR = "MESSPACE_TEST_EMAIL_DIR"
# The worker writes this person's email, then hangs before marking it sent.
SLOW_ADDRESS = "lent@exemple.fr"
PARIS = ZoneInfo("Europe/Paris")


class FileEmailBackend(BaseEmailBackend):
    """Each message as its own ``.eml`` file in ``$MESSPACE_TEST_EMAIL_DIR``.

    A message to :data:`SLOW_ADDRESS` is written (it has left), then the send
    hangs the first time, so that a test can kill the worker between the send
    and its record; a second send of it would be written again and counted.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = Path(os.environ[EMAIL_DIR_VAR])
        for message in email_messages:
            name = directory / f"{uuid.uuid4().hex}.eml"
            name.with_suffix(".tmp").write_bytes(message.message().as_bytes())
            name.with_suffix(".tmp").rename(name)
            held = directory / "held"
            if SLOW_ADDRESS in message.to and not held.exists():
                held.touch()
                time.sleep(300)
        return len(email_messages)


# --- The population and what each person must receive ---


def _patient(**kwargs: Any) -> Patient:
    return cast(Patient, PatientFactory(**kwargs))


def _user(**kwargs: Any) -> User:
    return cast(User, UserFactory(**kwargs))


@dataclass
class Population:
    """The targeted patients, and per patient the deliveries they must get:
    (recipient key, channel, email address or "")."""

    expected: dict[int, set[tuple[str, str, str]]] = field(default_factory=dict)

    @property
    def emails(self) -> int:
        return sum(1 for want in self.expected.values() for d in want if d[1] == "email")


def _population(size: int, *, slow: bool = False, postcode: str = "75011") -> Population:
    """``size`` records in state created: one in eight a minor (two guardians found
    by NIR, one, or none and a letter at home), the adults two in three with an
    email address; with ``slow``, one adult's address is :data:`SLOW_ADDRESS`."""
    with transaction.atomic():  # one commit: ten times faster
        return _populate(size, slow=slow, postcode=postcode)


def _populate(size: int, *, slow: bool, postcode: str) -> Population:
    population = Population()
    minors = 0
    for i in range(size):
        if i % 8 == 0:
            child = _patient(
                record_state=RecordState.CREATED,
                birth_date=dt.date(timezone.localdate().year - 6 - i % 9, 3, 1),  # 5 to 14
                email="",
                postcode=postcode,
            )
            guardians = [
                _patient(  # already active: informed for the child, not targeted
                    given_names=f"Parent{i}x{g}",
                    email=f"g{i}x{g}@exemple.fr" if (minors + g) % 3 else "",
                )
                for g in range((2, 1, 0)[minors % 3])
            ]
            for guardian in guardians:
                GuardianToInform.objects.create(patient=child, guardian_nir=guardian.nir)
            minors += 1
            want = {(g.nir, "email" if g.email else "letter", g.email) for g in guardians}
            population.expected[child.pk] = want or {("home", "letter", "")}
        else:
            address = f"p{i}@exemple.fr" if i % 3 else ""
            if slow and i == size // 2 + 1:
                address = SLOW_ADDRESS
            adult = _patient(record_state=RecordState.CREATED, email=address, postcode=postcode)
            population.expected[adult.pk] = {("self", "email" if address else "letter", address)}
    return population


# --- What was sent: email files and letter manifests ---


def _email_files(directory: Path) -> Counter[tuple[str, str]]:
    """(address, notice reference) of each email file; a check of its code too."""
    sent: Counter[tuple[str, str]] = Counter()
    codes = dict(Notice.objects.values_list("reference", "code_hash"))
    for path in directory.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        reference = re.search(r"Référence : (\S+)", body).group(1)  # type: ignore[union-attr]
        code = re.search(r"^\s+([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})\s*$", body, re.M)
        assert code is not None and campaign_services.code_hash(code.group(1)) == codes[reference]
        sent[(str(message["To"]), reference)] += 1
    return sent


def _manifest_rows(batch: LetterBatch) -> list[dict[str, str]]:
    """The batch's manifest, decrypted as the admin's download does."""
    key = vault.unwrap(wrapped=bytes(batch.wrapped_key), key_id=batch.key_id, owner=batch.owner)
    content = blob_get(name=batch.manifest_blob, data_key=key, aad=f"{batch.owner}:manifest")
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=MANIFEST_DELIMITER)
    return list(reader)


def _assert_each_notified_once(
    campaign: Campaign,
    population: Population,
    email_dir: Path | None,
    *,
    lost: Sequence[str] = (),
) -> None:
    """Every person one notice, issued; every recipient one delivery: an email
    written once, or a letter in exactly one batch and once in all the manifests.
    An email in ``lost`` (its worker died while sending it) is bounced, written
    at most once, and replaced by a letter."""
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    if email_dir is not None:
        sent = _email_files(email_dir)
    else:
        sent = Counter((m.to[0], _reference(str(m.body))) for m in mail.outbox)
    twice = {key: n for key, n in sent.items() if n > 1}
    assert not twice, f"emails sent more than once: {twice}"
    notices = Notice.objects.filter(campaign=campaign).select_related("record")
    assert {n.record.patient_id for n in notices} == set(population.expected)
    assert all(n.issued_at and n.code_hash and n.reference for n in notices)
    assert set(
        Record.objects.filter(patient_id__in=population.expected).values_list("state", flat=True)
    ) == {RecordState.NOTIFIED}
    transitions = (
        RecordTransition.objects.filter(
            record__patient_id__in=population.expected, to_state=RecordState.NOTIFIED
        )
        .values("record_id")
        .annotate(n=Count("pk"))
    )
    assert len(transitions) == len(population.expected)
    assert {t["n"] for t in transitions} == {1}

    deliveries = list(
        NoticeDelivery.objects.filter(notice__campaign=campaign).select_related("notice__record")
    )
    got: dict[int, set[tuple[str, str, str]]] = {pk: set() for pk in population.expected}
    letters_wanted: Counter[tuple[str, str]] = Counter()
    emails_wanted: Counter[tuple[str, str]] = Counter()
    for d in deliveries:
        reference = d.notice.reference
        if d.channel == DeliveryChannel.EMAIL and d.email in lost:
            assert d.state == DeliveryState.BOUNCED, d
            continue
        got[d.notice.record.patient_id].add((d.recipient_key, d.channel, d.email))
        if d.channel == DeliveryChannel.EMAIL:
            assert d.state == DeliveryState.SENT and d.sent_at is not None, d
            emails_wanted[(d.email, reference)] += 1
        else:
            assert d.state == DeliveryState.PRINTED and d.letter_batch_id is not None, d
            letters_wanted[(reference, d.recipient_name)] += 1
    want = {
        pk: {(k, "letter", "") if e in lost and e else (k, c, e) for k, c, e in expected}
        for pk, expected in population.expected.items()
    }
    assert got == want

    # A lost email may have left (once, see above), or not.
    assert Counter({key: n for key, n in sent.items() if key[0] not in lost}) == emails_wanted

    printed: Counter[tuple[str, str]] = Counter()
    for batch in LetterBatch.objects.filter(campaign=campaign):
        rows = _manifest_rows(batch)
        assert batch.count == len(rows) == batch.deliveries.count()
        assert {row["lot"] for row in rows} == {str(batch.number)}
        printed.update((row["reference"], row["destinataire"]) for row in rows)
    assert printed == letters_wanted
    assert set(printed.values()) == {1}


def _reference(body: str) -> str:
    match = re.search(r"Référence : (\S+)", body)
    assert match is not None
    return match.group(1)


# --- The worker ---


@contextmanager
def _campaign_runs_in_batches(worker: LettersWorker) -> Iterator[None]:
    """Every ``campaign_run`` message this process sends (``campaign_start``'s,
    ``campaigns_resume``'s) carries the worker's batch size."""

    def add_batch_size(sender: str | None = None, body: Any = None, **kwargs: Any) -> None:
        if sender == "records.tasks.campaign_run":
            body[1].setdefault("batch_size", worker.batch_size)

    before_task_publish.connect(add_batch_size, weak=False)
    try:
        yield
    finally:
        before_task_publish.disconnect(add_batch_size)


def _reset_router() -> None:
    # Celery caches both the routing table and the router built from it.
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


@dataclass
class LettersWorker:
    worker: Worker
    email_dir: Path
    batch_size: int = BATCH

    def kill(self) -> None:
        assert self.worker.proc is not None
        os.kill(self.worker.proc.pid, signal.SIGKILL)
        self.worker.proc.wait()

    def restart(self) -> None:
        # The broker hands an unacknowledged message back once it is older than
        # the visibility timeout (3 s here), to a worker that starts after that.
        time.sleep(3.5)
        self.worker.start()


@pytest.fixture
def letters_worker(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LettersWorker]:
    """A worker on a private queue to which this process routes the campaign tasks,
    with a short broker visibility timeout and the file email backend; the
    campaign runs it is sent go in batches of its ``batch_size``."""
    email_dir = tmp_path / "emails"
    email_dir.mkdir()
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    monkeypatch.setenv("EMAIL_BACKEND", BACKEND)
    monkeypatch.setenv(EMAIL_DIR_VAR, str(email_dir))
    worker = Worker(queue=f"test-letters-{uuid.uuid4().hex[:12]}")
    eager, routes = celery_app.conf.task_always_eager, celery_app.conf.task_routes
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_routes = {"records.tasks.campaign_*": {"queue": worker.queue}}
    _reset_router()
    letters_worker = LettersWorker(worker, email_dir)
    try:
        with _campaign_runs_in_batches(letters_worker):
            worker.start()
            yield letters_worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager, celery_app.conf.task_routes = eager, routes
        _reset_router()


def _campaign(**kwargs: Any) -> Campaign:
    return Campaign.objects.create(name="Paris 11e", created_by=_user(is_staff=True), **kwargs)


def _issued(campaign: Campaign) -> int:
    return Notice.objects.filter(campaign=campaign, issued_at__isnull=False).count()


def _done(campaign: Campaign) -> bool:
    return Campaign.objects.get(pk=campaign.pk).state == CampaignState.DONE


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_campaign_run_by_the_worker_notifies_each_person_exactly_once(
    letters_worker: LettersWorker,
) -> None:
    letters_worker.batch_size = 100
    population = _population(PEOPLE)
    campaign = _campaign()

    assert campaign_services.campaign_start(campaign=campaign) == PEOPLE

    wait_until(lambda: _done(campaign), timeout=120, what="the campaign to be done")
    _assert_each_notified_once(campaign, population, letters_worker.email_dir)
    assert population.emails > 200 and PEOPLE - population.emails > 100
    assert LetterBatch.objects.filter(campaign=campaign).count() == PEOPLE // 100


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_workers_killed_mid_campaign_still_notify_each_person_exactly_once(
    letters_worker: LettersWorker,
) -> None:
    """GIVEN a campaign of 400 people in batches of 40 WHEN its worker is SIGKILLed
    after some batches were committed, and the next one while an email had left
    but was not yet marked sent THEN after the restarts every person has exactly
    one notice, every letter is in exactly one batch and listed once, no email is
    sent twice, and the email lost with its worker goes by letter instead."""
    population = _population(PEOPLE, slow=True)
    campaign = _campaign()
    campaign_services.campaign_start(campaign=campaign)

    # First kill: in the middle of the issuing, between or within batches.
    wait_until(lambda: _issued(campaign) >= 3 * BATCH, timeout=60, what="3 batches issued")
    letters_worker.kill()
    issued = _issued(campaign)
    assert 0 < issued < PEOPLE and issued % BATCH == 0  # whole batches, none half-issued
    assert not NoticeDelivery.objects.filter(state=DeliveryState.SENT).exists()

    # Second kill: the slow email has left, the worker hangs before recording it.
    letters_worker.restart()
    slow = NoticeDelivery.objects.filter(email=SLOW_ADDRESS)
    wait_until(
        lambda: (
            (letters_worker.email_dir / "held").exists()
            and slow.filter(state=DeliveryState.SENDING).exists()
        ),
        timeout=90,
        what="the slow email to be sending",
    )
    letters_worker.kill()
    sent = NoticeDelivery.objects.filter(state=DeliveryState.SENT).count()
    assert _issued(campaign) == PEOPLE and 0 < sent < population.emails - 1
    # Its claim is presumed lost once older than SENDING_STALE: the clock of the
    # restarted worker cannot be moved, so the claim is dated back instead.
    slow.update(claimed_at=F("claimed_at") - campaign_services.SENDING_STALE)

    letters_worker.restart()
    wait_until(lambda: _done(campaign), timeout=90, what="the campaign to be done")
    _assert_each_notified_once(campaign, population, letters_worker.email_dir, lost=[SLOW_ADDRESS])
    replacement = NoticeDelivery.objects.get(
        notice=slow.get().notice, channel=DeliveryChannel.LETTER
    )
    assert replacement.letter_batch.count == 1  # type: ignore[union-attr]


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_campaigns_resume_finishes_a_campaign_whose_message_was_lost(
    letters_worker: LettersWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a campaign started half an hour ago whose worker issued a batch,
    then whose message the broker lost (no message in flight) WHEN the beat task
    ``campaigns_resume`` runs THEN the worker finishes it, each person once."""
    population = _population(100)
    campaign = _campaign()
    with time_machine.travel(dt.datetime.now(tz=PARIS) - dt.timedelta(minutes=30), tick=True):
        with monkeypatch.context() as lost:
            lost.setattr(campaign_services, "_enqueue", lambda campaign_id: None)
            campaign_services.campaign_start(campaign=campaign)
        campaign_services.notices_issue_batch(campaign_id=campaign.pk, size=BATCH)
    time.sleep(1)
    assert _issued(campaign) == BATCH and not _done(campaign)

    assert tasks.campaigns_resume() == 1

    wait_until(lambda: _done(campaign), timeout=60, what="the campaign to be done")
    _assert_each_notified_once(campaign, population, letters_worker.email_dir)
    assert campaign_services.campaigns_resume() == []


# --- Inline (eager), without a worker ---

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


@pytest.fixture
def _inline(time_machine: Any, settings: Any, media: Path) -> None:
    time_machine.move_to(NOW, tick=False)


def _started(campaign: Campaign) -> None:
    """Started, its message lost: the run is left to the test."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        campaign_services.campaign_start(campaign=campaign)


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_campaigns_resume_runs_again_only_running_campaigns_without_progress(
    time_machine: Any,
) -> None:
    """GIVEN four campaigns: one stalled for half an hour after a batch, one whose
    last batch is two minutes old, one started a minute ago, one done WHEN the beat
    task runs (twice) THEN only the stalled one runs again, and finishes."""
    stalled_people = _population(12, postcode="75001")
    _population(12, postcode="69001")
    _population(3, postcode="13001")
    _population(3, postcode="33001")
    stalled, live, fresh, done = (_campaign(postcode_prefixes=p) for p in ("75", "69", "13", "33"))
    time_machine.move_to(NOW - dt.timedelta(minutes=30), tick=False)
    _started(stalled)
    campaign_services.notices_issue_batch(campaign_id=stalled.pk, size=5)
    _started(live)
    _started(done)
    campaign_services.campaign_run(campaign_id=done.pk)
    time_machine.move_to(NOW - dt.timedelta(minutes=2), tick=False)
    campaign_services.notices_issue_batch(campaign_id=live.pk, size=5)
    time_machine.move_to(NOW - dt.timedelta(minutes=1), tick=False)
    _started(fresh)
    time_machine.move_to(NOW, tick=False)
    mail.outbox.clear()

    assert campaign_services.campaigns_resume() == [stalled.pk]
    assert campaign_services.campaigns_resume() == []

    _assert_each_notified_once(stalled, stalled_people, None)
    states = dict(Campaign.objects.values_list("pk", "state"))
    assert states[live.pk] == states[fresh.pk] == CampaignState.RUNNING
    assert states[done.pk] == CampaignState.DONE


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_an_email_lost_with_its_worker_goes_by_letter_through_campaigns_resume(
    time_machine: Any,
) -> None:
    """GIVEN a worker that died while sending an email, and a run after its restart
    that sent the rest (the claim too recent to be presumed lost) WHEN the beat
    task runs every 10 minutes THEN once the claim is stale the email is replaced by
    a letter, never sent again, and the campaign is done."""
    population = _population(6)
    campaign = _campaign()
    _started(campaign)
    campaign_services.notices_issue_batch(campaign_id=campaign.pk)
    lost = NoticeDelivery.objects.filter(channel=DeliveryChannel.EMAIL).order_by("pk").first()
    assert lost is not None
    NoticeDelivery.objects.filter(pk=lost.pk).update(state=DeliveryState.SENDING, claimed_at=NOW)
    campaign_services.campaign_run(campaign_id=campaign.pk)
    assert Campaign.objects.get().state == CampaignState.RUNNING
    assert lost.email not in {m.to[0] for m in mail.outbox}

    for minutes in (10, 20):
        time_machine.move_to(NOW + dt.timedelta(minutes=minutes, seconds=1), tick=False)
        tasks.campaigns_resume()

    assert NoticeDelivery.objects.get(pk=lost.pk).state == DeliveryState.BOUNCED
    _assert_each_notified_once(campaign, population, None, lost=[lost.email])


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_a_record_opened_or_opposed_before_its_notice_is_issued_gets_no_notice() -> None:
    """GIVEN a campaign started, and before its batch an agent opens one targeted
    record and another is opposed WHEN the batch is issued THEN neither person
    receives a notice (theirs is withdrawn), the others do, and the campaign ends."""
    opened, opposed, *others = (
        _patient(record_state=RecordState.CREATED, email=f"r{i}@exemple.fr") for i in range(4)
    )
    campaign = _campaign()
    _started(campaign)
    for patient, state in ((opened, RecordState.ACTIVE), (opposed, RecordState.OPPOSED)):
        record_transition(record=patient.record, to_state=state, by=None)

    campaign_services.campaign_run(campaign_id=campaign.pk)

    assert Campaign.objects.get().state == CampaignState.DONE
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in others)
    assert set(Notice.objects.values_list("record__patient", flat=True)) == {p.pk for p in others}
    states = dict(Record.objects.values_list("patient_id", "state"))
    assert (states[opened.pk], states[opposed.pk]) == (RecordState.ACTIVE, RecordState.OPPOSED)


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_an_email_not_yet_sent_is_dropped_once_the_person_opposed() -> None:
    """GIVEN a batch issued, its emails not sent yet (one of them claimed by a
    worker that died), and two people who oppose through the support service
    meanwhile (their address and code are erased) WHEN the emails leave THEN
    theirs are neither sent nor replaced by a letter, and the campaign ends."""
    caller, lost_caller, other = (
        _patient(record_state=RecordState.CREATED, email=f"o{i}@exemple.fr") for i in range(3)
    )
    campaign = _campaign()
    _started(campaign)
    campaign_services.notices_issue_batch(campaign_id=campaign.pk)
    NoticeDelivery.objects.filter(notice__record__patient=lost_caller).update(
        state=DeliveryState.SENDING, claimed_at=NOW - dt.timedelta(hours=1)
    )
    agent = _user(is_support_agent=True)
    for patient in (caller, lost_caller):
        outcomes.caller_oppose(agent=agent, nir=patient.nir, birth_date=patient.birth_date)

    campaign_services.campaign_run(campaign_id=campaign.pk)

    assert [m.to for m in mail.outbox] == [[other.email]]
    assert Campaign.objects.get().state == CampaignState.DONE
    assert not LetterBatch.objects.exists()
    states = dict(NoticeDelivery.objects.values_list("notice__record__patient", "state"))
    assert states == {
        caller.pk: DeliveryState.CANCELLED,
        lost_caller.pk: DeliveryState.SENDING,
        other.pk: DeliveryState.SENT,
    }


class HookEmailBackend(BaseEmailBackend):
    """Calls :data:`SEND_HOOK` with each recipient, in the middle of the send."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            SEND_HOOK[0](message.to[0])
        return len(email_messages)


SEND_HOOK: list[Callable[[str], None]] = [lambda to: None]


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_an_address_refused_by_the_mail_server_goes_by_letter(settings: Any) -> None:
    refused = _patient(record_state=RecordState.CREATED, email="refus@exemple.fr")
    _patient(record_state=RecordState.CREATED, email="ok@exemple.fr")
    campaign = _campaign()
    _started(campaign)

    def refuse(to: str) -> None:
        if to == refused.email:
            raise smtplib.SMTPRecipientsRefused({to: (550, b"No such user")})

    settings.EMAIL_BACKEND = f"{__name__}.HookEmailBackend"
    SEND_HOOK[0] = refuse
    try:
        campaign_services.campaign_run(campaign_id=campaign.pk)
    finally:
        SEND_HOOK[0] = lambda to: None

    assert Campaign.objects.get().state == CampaignState.DONE
    states = dict(NoticeDelivery.objects.values_list("email", "state"))
    assert states == {
        "refus@exemple.fr": DeliveryState.BOUNCED,
        "ok@exemple.fr": DeliveryState.SENT,
        "": DeliveryState.PRINTED,
    }
    letter = NoticeDelivery.objects.get(channel=DeliveryChannel.LETTER)
    assert letter.notice.record.patient == refused


@pytest.mark.django_db
@pytest.mark.usefixtures("_inline")
def test_a_send_so_slow_it_was_replaced_by_a_letter_stays_replaced(
    settings: Any, time_machine: Any
) -> None:
    """GIVEN an email whose send takes longer than ``SENDING_STALE`` WHEN another
    worker meanwhile presumes it lost and prints a letter THEN the slow send,
    completing, does not mark it sent again: the letter remains its delivery."""
    patient = _patient(record_state=RecordState.CREATED, email="lent@exemple.fr")
    campaign = _campaign()
    _started(campaign)

    def another_worker_meanwhile(to: str) -> None:
        time_machine.move_to(NOW + dt.timedelta(minutes=16), tick=False)
        assert campaign_services.emails_send(campaign_id=campaign.pk) == 0

    settings.EMAIL_BACKEND = f"{__name__}.HookEmailBackend"
    SEND_HOOK[0] = another_worker_meanwhile
    try:
        campaign_services.campaign_run(campaign_id=campaign.pk)
    finally:
        SEND_HOOK[0] = lambda to: None

    email_delivery = NoticeDelivery.objects.get(channel=DeliveryChannel.EMAIL)
    assert email_delivery.state == DeliveryState.BOUNCED and email_delivery.sent_at is None
    letter = NoticeDelivery.objects.get(channel=DeliveryChannel.LETTER)
    assert letter.state == DeliveryState.PRINTED and letter.notice.record.patient == patient
    assert Campaign.objects.get().state == CampaignState.DONE


@pytest.mark.django_db
def test_the_beat_resumes_stalled_campaigns_every_ten_minutes(settings: Any) -> None:
    entries = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["records.tasks.campaigns_resume"] == 600.0
    assert entries["records.tasks.records_open_due"] == 3600.0
    # Not on the letters queue, where a long campaign run would hold it up.
    routes = settings.CELERY_TASK_ROUTES
    assert not [p for p in routes if fnmatch.fnmatchcase("records.tasks.campaigns_resume", p)]
    assert routes["records.tasks.campaign_*"] == {"queue": "letters"}
