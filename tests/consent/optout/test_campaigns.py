"""Opt-out campaigns: one notice per person, by email or letter, and the records
opening after the delay (tasks inline here)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

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
from consent.optout.services import campaigns as services
from consent.optout.services import outcomes
from messpace import vault
from messpace.blobs import blob_get
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.models import Patient
from tests.factories import CampaignFactory, PatientFactory, UserFactory, set_record_state

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _clock(time_machine: Any, media: Path) -> None:
    time_machine.move_to(NOW, tick=False)


def _created(**kwargs: Any) -> Patient:
    return PatientFactory(record_state=RecordState.CREATED, **kwargs)  # type: ignore[no-any-return]


def _campaign(**kwargs: Any) -> Campaign:
    return CampaignFactory(name="Paris 2026", **kwargs)


def _start(campaign: Campaign) -> int:
    with TestCase.captureOnCommitCallbacks(execute=True):
        count = services.campaign_start(campaign=campaign)
    return count


def _letters_text(batch: LetterBatch) -> str:
    key = vault.unwrap(wrapped=bytes(batch.wrapped_key), key_id=batch.key_id, owner=batch.owner)
    pdf = blob_get(name=batch.pdf_blob, data_key=key, aad=f"{batch.owner}:pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
def test_a_campaign_notifies_each_person_exactly_once_by_email_or_letter() -> None:
    with_email = [_created(email=f"p{i}@exemple.fr") for i in range(40)]
    without = [_created(email="") for i in range(25)]
    already_active = PatientFactory(email="active@exemple.fr")  # not targeted

    count = _start(_campaign())

    assert count == 65
    assert Notice.objects.count() == 65
    assert not Notice.objects.filter(record__patient=already_active).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in with_email)
    letters = NoticeDelivery.objects.filter(channel=DeliveryChannel.LETTER)
    assert letters.count() == 25 and set(letters.values_list("state", flat=True)) == {"printed"}
    text = _letters_text(LetterBatch.objects.get())
    for patient in without:
        assert patient.birth_names in text
    assert set(
        Record.objects.filter(patient__in=with_email + without).values_list("state", flat=True)
    ) == {RecordState.NOTIFIED}
    # Each code is the one its email carried, and only its hash is stored.
    notice = Notice.objects.get(record__patient=with_email[0])
    body = next(m.body for m in mail.outbox if m.to == [with_email[0].email])
    code = next(line.strip() for line in body.splitlines() if line.strip().count("-") == 2)
    assert notice.code_hash == services.code_hash(code) and code not in notice.code_hash
    assert Campaign.objects.get().state == CampaignState.DONE

    # Running it again (a doubled task) sends nothing more.
    mail.outbox.clear()
    services.campaign_run(campaign_id=Campaign.objects.get().pk)
    assert mail.outbox == [] and LetterBatch.objects.count() == 1
    assert RecordTransition.objects.filter(to_state=RecordState.NOTIFIED).count() == 65


@pytest.mark.django_db
def test_a_second_campaign_never_notifies_the_same_person_again() -> None:
    _created(email="a@exemple.fr")
    _start(_campaign())

    assert _start(_campaign()) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_filters_by_postcode_and_birth_years() -> None:
    paris = _created(postcode="75011", birth_date=dt.date(1980, 1, 1), email="")
    _created(postcode="69001", birth_date=dt.date(1980, 1, 1), email="")
    _created(postcode="75012", birth_date=dt.date(1950, 1, 1), email="")

    count = _start(_campaign(postcode_prefixes="75, 92", birth_year_from=1970, birth_year_to=1990))

    assert count == 1
    assert Notice.objects.get().record.patient == paris


@pytest.mark.django_db
def test_guardians_are_informed_for_a_minor() -> None:
    mother = PatientFactory(email="mere@exemple.fr")
    father = PatientFactory(email="")
    child = _created(birth_date=dt.date(2018, 5, 1), email="")
    for guardian in (mother, father):
        GuardianToInform.objects.create(patient=child, guardian_nir=guardian.nir)
    orphan = _created(birth_date=dt.date(2015, 5, 1), email="")

    _start(_campaign())

    assert [m.to for m in mail.outbox] == [["mere@exemple.fr"]]
    assert child.full_name in mail.outbox[0].body
    text = _letters_text(LetterBatch.objects.get())
    assert father.birth_names in text and child.full_name in text
    assert "représentants légaux" in text and orphan.full_name in text
    assert Notice.objects.filter(record__patient=child).count() == 1


@pytest.mark.django_db
def test_a_crash_between_batches_resumes_without_sending_twice() -> None:
    """GIVEN a campaign whose worker died after two batches of 10 WHEN it runs again
    THEN every person has exactly one notice and one delivery, nobody twice."""
    people = [_created(email=f"p{i}@exemple.fr" if i % 2 else "") for i in range(45)]
    campaign = _campaign()
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.campaign_start(campaign=campaign)
    assert services.notices_issue_batch(campaign_id=campaign.pk, size=10) == 10
    assert services.notices_issue_batch(campaign_id=campaign.pk, size=10) == 10

    services.campaign_run(campaign_id=campaign.pk)

    assert Notice.objects.filter(issued_at__isnull=False).count() == 45
    assert NoticeDelivery.objects.count() == 45
    emailed = sorted(m.to[0] for m in mail.outbox)
    assert emailed == sorted(p.email for p in people if p.email)
    printed = NoticeDelivery.objects.filter(state=DeliveryState.PRINTED).count()
    assert printed == 23 and LetterBatch.objects.count() == 3


@pytest.mark.django_db
def test_a_run_does_a_bounded_amount_and_says_when_work_remains() -> None:
    """GIVEN a campaign of 25 people in batches of 5 WHEN each run may do two
    batches and three emails THEN runs stop early, saying so, until the last one
    finishes the campaign; every person still has exactly one notice."""
    people = [_created(email=f"p{i}@exemple.fr" if i < 4 else "") for i in range(25)]
    campaign = _campaign()
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.campaign_start(campaign=campaign)
    bounds = {"batch_size": 5, "max_batches": 2, "max_emails": 3}

    issued = []
    while services.campaign_run(campaign_id=campaign.pk, **bounds):
        issued.append(Notice.objects.filter(issued_at__isnull=False).count())

    # Two batches per run, then a run for the emails beyond the first three.
    assert issued == [10, 20, 25]
    assert len(mail.outbox) == 4
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DONE
    assert NoticeDelivery.objects.count() == len(people)


@pytest.mark.django_db
def test_the_task_enqueues_the_rest_of_a_long_campaign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each message of the task does a bounded run and sends the next one."""
    from celery.signals import task_prerun

    from consent.optout import tasks

    for _ in range(12):
        _created()
    monkeypatch.setattr(services, "BATCHES_PER_RUN", 1)
    runs: list[int] = []

    def counted(sender: Any = None, args: Any = (), **kwargs: Any) -> None:
        if getattr(sender, "name", "") == tasks.campaign_run.name:
            runs.append(args[0])

    task_prerun.connect(counted, weak=False)
    campaign = _campaign()
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.campaign_start(campaign=campaign)

    try:
        tasks.campaign_run.delay(campaign.pk, 5)  # eager here: each next message runs inline
    finally:
        task_prerun.disconnect(counted)

    assert len(runs) == 4  # batches of 5, 5, 2, then the run that finds nothing left
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DONE
    assert Notice.objects.filter(issued_at__isnull=False).count() == 12


@pytest.mark.django_db
def test_an_email_lost_with_its_worker_is_replaced_by_a_letter_not_resent(
    time_machine: Any,
) -> None:
    patient = _created(email="perdu@exemple.fr")
    campaign = _campaign()
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.campaign_start(campaign=campaign)
    services.notices_issue_batch(campaign_id=campaign.pk)
    delivery = NoticeDelivery.objects.get()
    # The worker claimed it and died before marking it sent.
    NoticeDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=NOW
    )
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)

    services.campaign_run(campaign_id=campaign.pk)

    assert mail.outbox == []
    assert NoticeDelivery.objects.get(pk=delivery.pk).state == DeliveryState.BOUNCED
    letter = NoticeDelivery.objects.get(channel=DeliveryChannel.LETTER)
    assert letter.state == DeliveryState.PRINTED
    assert patient.birth_names in _letters_text(letter.letter_batch)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_bounced_email_falls_back_to_a_letter_once() -> None:
    _created(email="inconnu@exemple.fr")
    _start(_campaign())
    delivery = NoticeDelivery.objects.get()

    services.delivery_bounced(delivery_id=delivery.pk)
    services.delivery_bounced(delivery_id=delivery.pk)

    assert NoticeDelivery.objects.filter(channel=DeliveryChannel.LETTER).count() == 1
    assert LetterBatch.objects.count() == 1


@pytest.mark.django_db
def test_records_open_after_the_delay_and_nothing_else(time_machine: Any) -> None:
    notified = [_created(email=f"o{i}@exemple.fr") for i in range(3)]
    campaign = _campaign()
    _start(campaign)
    opposed = notified[0]
    set_record_state(opposed, RecordState.OPPOSED)
    late = _created(email="tard@exemple.fr")  # never notified: never opened
    assert late.record.state == RecordState.CREATED

    # Notified on 2 March: opposable until 12 April included, opens on 13 April
    # at midnight, Paris time (summer time began in between).
    assert Notice.objects.filter(opens_at=dt.datetime(2026, 4, 13, tzinfo=PARIS)).count() == 3
    time_machine.move_to(dt.datetime(2026, 4, 12, 23, 59, tzinfo=PARIS), tick=False)
    assert outcomes.records_open_due() == 0

    time_machine.move_to(dt.datetime(2026, 4, 13, 0, 1, tzinfo=PARIS), tick=False)
    assert outcomes.records_open_due() == 2
    assert outcomes.records_open_due() == 0  # safe twice

    states = dict(Record.objects.values_list("patient_id", "state"))
    assert states[opposed.pk] == RecordState.OPPOSED
    assert states[late.pk] == RecordState.CREATED
    assert {states[p.pk] for p in notified[1:]} == {RecordState.ACTIVE}
    assert RecordTransition.objects.filter(to_state=RecordState.ACTIVE).count() == 2


@pytest.mark.django_db
def test_the_beat_runs_the_opening_hourly(settings: Any) -> None:
    tasks = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "records.tasks.records_open_due" in tasks
    assert settings.CELERY_TASK_ROUTES["records.tasks.campaign_*"] == {"queue": "letters"}


@pytest.mark.django_db
def test_admin_creates_starts_a_campaign_and_downloads_the_letters(client: Any, login: Any) -> None:
    """In the console: a new campaign is a draft that names how many records it
    targets; starting it needs the confirmation, and the letters download."""
    from django.urls import reverse

    _created(email="", birth_names="LETTRE", postcode="75011")
    _created(email="", postcode="69001")
    admin_user = UserFactory(is_staff=True)  # an operator, not a technical superuser
    client = login(client, admin_user)

    added = client.post(
        reverse("console-optout:campaign_new"),
        {"name": "  Paris   11e ", "postcode_prefixes": "75, ", "delay_days": "42"},
    )
    campaign = Campaign.objects.get()
    assert added.status_code == 302
    assert added["Location"] == reverse("console-optout:campaign", args=[campaign.pk])
    assert (campaign.name, campaign.postcode_prefixes, campaign.state) == (
        "Paris 11e",
        "75",
        "draft",
    )
    page = client.get(added["Location"])
    assert "Ces critères visent aujourd’hui 1 dossier à informer." in page.content.decode()

    unconfirmed = client.post(reverse("console-optout:campaign_start", args=[campaign.pk]), {})
    assert unconfirmed.status_code == 400
    assert "Cochez la case pour confirmer le démarrage." in unconfirmed.content.decode()
    assert Campaign.objects.get().state == "draft" and not LetterBatch.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = client.post(
            reverse("console-optout:campaign_start", args=[campaign.pk]), {"confirm": "on"}
        )
    again = client.post(
        reverse("console-optout:campaign_start", args=[campaign.pk]), {"confirm": "on"}
    )
    batch = LetterBatch.objects.get(campaign=campaign)
    pdf = client.get(reverse("console-optout:batch_download", args=[batch.pk, "pdf"]))
    manifest = client.get(reverse("console-optout:batch_download", args=[batch.pk, "manifest"]))

    assert started.status_code == 302 and Campaign.objects.get().created_by == admin_user
    assert again.status_code == 400
    assert "Cette campagne est déjà démarrée" in again.content.decode()
    assert Notice.objects.filter(campaign=campaign).count() == 1
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"LETTRE" in manifest.content and "no-store" in pdf["Cache-Control"]
    patient_client = login(type(client)(), UserFactory())
    denied = patient_client.get(reverse("console-optout:batch_download", args=[batch.pk, "pdf"]))
    assert denied.status_code == 404  # nothing served, nothing revealed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"name": " "}, "name", "Donnez un nom à la campagne"),
        (
            {"postcode_prefixes": ",".join(["7"] * 100)},
            "postcode_prefixes",
            "Trop de codes postaux",
        ),
        (
            {"postcode_prefixes": "75, 9A"},
            "postcode_prefixes",
            "« 9A » n’est pas un début de code postal",
        ),
        ({"birth_year_from": "1850"}, "birth_year_from", "entre 1900 et"),
        (
            {"birth_year_from": "1990", "birth_year_to": "1980"},
            "birth_year_to",
            "L’année de fin (1980) précède l’année de début (1990).",
        ),
        ({"delay_days": "10"}, "delay_days", "six semaines, le délai légal"),
        ({"delay_days": "quarante"}, "delay_days", "Indiquez le délai en nombre de jours"),
    ],
)
def test_a_wrong_campaign_is_refused_field_by_field_and_nothing_is_created(
    client: Any, login: Any, posted: dict[str, str], field: str, message: str
) -> None:
    from django.urls import reverse

    client = login(client, UserFactory(is_staff=True))
    data = {"name": "Test", "postcode_prefixes": "", "delay_days": "42", **posted}

    response = client.post(reverse("console-optout:campaign_new"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_a_campaign_that_targets_no_record_cannot_start(client: Any, login: Any) -> None:
    from django.urls import reverse

    _created(postcode="69001")
    campaign = _campaign(postcode_prefixes="13")
    client = login(client, UserFactory(is_staff=True))

    page = client.get(reverse("console-optout:campaign", args=[campaign.pk]))
    refused = client.post(
        reverse("console-optout:campaign_start", args=[campaign.pk]), {"confirm": "on"}
    )

    assert "Ces critères ne visent aucun dossier à informer" in page.content.decode()
    assert refused.status_code == 400
    assert "ne vise aucun dossier à informer" in refused.content.decode()
    assert Campaign.objects.get().state == "draft" and not Notice.objects.exists()


@pytest.mark.django_db
def test_the_console_pages_say_nothing_to_whoever_is_not_an_admin(client: Any, login: Any) -> None:
    """Signed out: the login page, the body of an upload unread. Signed in without
    the role: 404, for a GET on a POST-only address too (not 405)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from consent.optout.models import CohortImport

    campaign = _campaign()
    upload = reverse("console-optout:cohort_new")
    start = reverse("console-optout:campaign_start", args=[campaign.pk])
    returns = reverse("console-optout:campaign_returns", args=[campaign.pk])
    anonymous = type(client)(enforce_csrf_checks=True)
    patient = login(type(client)(), UserFactory())

    posted = anonymous.post(upload, {"file": SimpleUploadedFile("a.csv", b"x" * 4096)})
    assert posted.status_code == 302 and posted["Location"].startswith(reverse("accounts:login"))
    assert anonymous.get(start).status_code == 302
    assert [patient.get(url).status_code for url in (upload, start, returns)] == [404] * 3
    assert patient.post(start, {"confirm": "on"}).status_code == 404
    assert not CohortImport.objects.exists() and Campaign.objects.get().state == "draft"


@pytest.mark.django_db
def test_records_open_on_their_paris_date_catch_up_after_downtime_and_spare_early_ones(
    time_machine: Any,
) -> None:
    """GIVEN records notified on 2 March, others just after midnight on 4 March
    (Paris time, still 3 March in UTC), and one opened early through the support
    service WHEN the beat runs late on 14 April, then not again until 20 April,
    with a small limit THEN the 2 March ones open on the first run, the 4 March
    ones (due 15 April, not 14) on the later runs, each once, and the early one
    keeps its state, its outcome and its single opening."""
    from consent.optout.models import NoticeOutcome

    march_2 = [_created(email=f"m{i}@exemple.fr", postcode="75001") for i in range(3)]
    _start(_campaign(postcode_prefixes="75"))
    time_machine.move_to(dt.datetime(2026, 3, 4, 0, 30, tzinfo=PARIS), tick=False)
    march_4 = [_created(email=f"n{i}@exemple.fr", postcode="69001") for i in range(2)]
    _start(_campaign(postcode_prefixes="69"))
    early = march_2[0]
    agent = UserFactory(is_support_agent=True)
    outcomes.caller_activate(agent=agent, nir=early.nir, birth_date=early.birth_date)
    assert Notice.objects.filter(opens_at=dt.datetime(2026, 4, 15, tzinfo=PARIS)).count() == 2

    time_machine.move_to(dt.datetime(2026, 4, 14, 23, 59, tzinfo=PARIS), tick=False)
    assert outcomes.records_open_due() == 2
    time_machine.move_to(dt.datetime(2026, 4, 20, 10, 0, tzinfo=PARIS), tick=False)
    assert outcomes.records_open_due(limit=1) == 1
    assert outcomes.records_open_due(limit=1) == 1
    assert outcomes.records_open_due() == 0

    states = dict(Record.objects.values_list("patient_id", "state"))
    assert {states[p.pk] for p in march_2 + march_4} == {RecordState.ACTIVE}
    answers = dict(Notice.objects.values_list("record__patient_id", "outcome"))
    assert answers[early.pk] == NoticeOutcome.ACTIVATED_EARLY
    assert {answers[p.pk] for p in march_2[1:] + march_4} == {NoticeOutcome.OPENED}
    opened_at = dict(
        RecordTransition.objects.filter(to_state=RecordState.ACTIVE).values_list(
            "record__patient_id", "at"
        )
    )
    assert RecordTransition.objects.filter(to_state=RecordState.ACTIVE).count() == 5
    assert opened_at[early.pk] == dt.datetime(2026, 3, 4, 0, 30, tzinfo=PARIS)
    assert {opened_at[p.pk] for p in march_2[1:]} == {
        dt.datetime(2026, 4, 14, 23, 59, tzinfo=PARIS)
    }
    assert {opened_at[p.pk] for p in march_4} == {dt.datetime(2026, 4, 20, 10, 0, tzinfo=PARIS)}


@pytest.mark.django_db
def test_letter_files_are_deleted_after_their_retention_and_counts_kept(
    time_machine: Any, tmp_path: Any, client: Any, login: Any
) -> None:
    """GIVEN a batch of letters (names, addresses, codes) WHEN its retention (90
    days) has passed THEN the daily task deletes its files, keeps its counts,
    and the admin no longer offers them; not a day before, and safe twice."""
    for _ in range(3):
        _created(email="")
    _start(_campaign())
    batch = LetterBatch.objects.get()
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    names = {batch.pdf_blob.rsplit("/", 1)[-1], batch.manifest_blob.rsplit("/", 1)[-1]}
    assert names <= {p.name for p in files}

    time_machine.move_to(NOW + dt.timedelta(days=89), tick=False)
    assert services.letter_batches_purge() == 0
    time_machine.move_to(NOW + dt.timedelta(days=91), tick=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.letter_batches_purge() == 1
    assert services.letter_batches_purge() == 0

    batch.refresh_from_db()
    assert batch.purged_at is not None and batch.count == 3
    assert (batch.pdf_blob, batch.manifest_blob) == ("", "")
    left = {p.name for p in (tmp_path / "media").rglob("*") if p.is_file()}
    assert not names & left
    login(client, UserFactory(is_staff=True))
    download = reverse("console-optout:batch_download", args=[batch.pk, "pdf"])
    assert client.get(download).status_code == 404
    page = client.get(reverse("console-optout:campaign", args=[batch.campaign_id]))
    assert "durée de conservation écoulée" in page.content.decode()
    assert download not in page.content.decode()


def test_the_beat_purges_letter_files_daily(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["letter-batches-purge"]
    assert entry["task"] == "records.tasks.letter_batches_purge"
    assert entry["schedule"] <= 86400
