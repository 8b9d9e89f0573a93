"""Importing a campaign's returns: undelivered emails (replaced by letters) and
letters back from the post (NPAI), from a CSV checked whole, then line by line."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from pytest_django.asserts import assertContains, assertNotContains

from consent.optout import selectors as dashboard
from consent.optout.models import (
    Campaign,
    DeliveryChannel,
    DeliveryState,
    GuardianToInform,
    LetterBatch,
    Notice,
    NoticeDelivery,
)
from consent.optout.services import campaigns as services
from consent.optout.services import outcomes
from consent.optout.services import returns as bounce_services
from messpace import vault
from messpace.accounts.models import User
from messpace.blobs import blob_get
from records.lifecycle.models import RecordState
from records.models import Patient
from tests.factories import CampaignFactory, PatientFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
HEADER = ("type", "reference", "courriel", "motif")
Login = Callable[[Client, User], Client]


@pytest.fixture(autouse=True)
def _clock(time_machine: Any, media: Path) -> None:
    time_machine.move_to(START, tick=False)


def _person(given: str, family: str, *, email: bool = True, **kwargs: Any) -> Patient:
    return PatientFactory(  # type: ignore[no-any-return]
        record_state=RecordState.CREATED,
        given_names=given,
        birth_names=family,
        email=f"{family.lower()}@exemple.fr" if email else "",
        **kwargs,
    )


def _start(name: str) -> Campaign:
    campaign = CampaignFactory(name=name)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign)
    return campaign


def _ref(patient: Patient) -> str:
    return Notice.objects.get(record__patient=patient).reference


def _code(patient: Patient) -> str:
    body = next(m.body for m in mail.outbox if m.to == [patient.email])
    match = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", body)
    assert match is not None
    return match.group(0)


def _csv(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    sep: str = ";",
    encoding: str = "utf-8",
) -> bytes:
    lines = [sep.join(header), *(sep.join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _letters_text(batch: LetterBatch) -> str:
    key = vault.unwrap(wrapped=bytes(batch.wrapped_key), key_id=batch.key_id, owner=batch.owner)
    pdf = blob_get(name=batch.pdf_blob, data_key=key, aad=f"{batch.owner}:pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _states() -> list[tuple[int, str, str]]:
    return list(NoticeDelivery.objects.order_by("pk").values_list("pk", "channel", "state"))


@dataclass
class Story:
    paris: Campaign
    lyon: Campaign
    alice: Patient  # email
    bruno: Patient  # email
    chloe: Patient  # letter
    olga: Patient  # email, then opposed
    ines: Patient  # email, in Lyon


@pytest.fixture
def story(db: None) -> Story:
    """Paris reaches Alice and Bruno by email, Chloé by letter, and Olga by email
    (she opposes the next day); Lyon, another campaign, reaches Inès by email."""
    alice = _person("Alice", "ARNAUD")
    bruno = _person("Bruno", "BERTIN")
    chloe = _person("Chloé", "CARON", email=False)
    olga = _person("Olga", "ORSINI")
    paris = _start("Paris 2026")
    ines = _person("Inès", "IMBERT")
    lyon = _start("Lyon 2026")
    outcomes.notice_oppose(code=_code(olga), birth_date=olga.birth_date)
    return Story(paris, lyon, alice, bruno, chloe, olga, ines)


def _valid_file(story: Story) -> bytes:
    return _csv(
        [
            ("courriel", _ref(story.alice), "arnaud@exemple.fr", "boîte inexistante"),
            ("courriel", "", " Bertin@Exemple.FR ", "domaine inconnu"),
            ("courrier", _ref(story.chloe), "", "NPAI"),
        ]
    )


# --- Applying ----------------------------------------------------------------------------------


def test_a_valid_file_replaces_bounced_emails_by_letters_and_counts_returned_letters(
    story: Story,
) -> None:
    batches_before = LetterBatch.objects.count()

    report = bounce_services.bounces_import(campaign=story.paris, content=_valid_file(story))

    assert (report.lines, report.applied, report.refused) == (3, 3, [])
    assert (report.emails_bounced, report.replacement_letters, report.letters_returned) == (
        2,
        2,
        1,
    )
    for person in (story.alice, story.bruno):
        email = NoticeDelivery.objects.get(
            notice__record__patient=person, channel=DeliveryChannel.EMAIL
        )
        letter = NoticeDelivery.objects.get(
            notice__record__patient=person, channel=DeliveryChannel.LETTER
        )
        assert email.state == DeliveryState.BOUNCED and email.bounced_at is not None
        assert letter.state == DeliveryState.PRINTED and letter.letter_batch is not None
        assert letter.letter_batch.campaign == story.paris
        assert person.birth_names in _letters_text(letter.letter_batch)
    # Both replacement letters in one batch: one PDF for the print house.
    assert LetterBatch.objects.count() == batches_before + 1
    returned = NoticeDelivery.objects.get(notice__record__patient=story.chloe)
    assert returned.state == DeliveryState.BOUNCED  # and no further letter
    figures = dashboard.campaign_dashboard(campaign_id=story.paris.pk).figures
    assert (figures.emails_bounced, figures.letters_returned, figures.letters) == (2, 1, 3)


def test_a_replacement_letter_gives_the_whole_delay_from_its_printing(
    story: Story, time_machine: Any
) -> None:
    """GIVEN an email returned on the very day the record was to open (before the
    hourly opening) WHEN the return is imported THEN the letter gives six weeks
    from today: the opening moves, and the letter prints the new date."""
    from consent.optout.letters import french_date

    notice = Notice.objects.get(record__patient=story.alice)
    assert notice.opens_at is not None
    time_machine.move_to(notice.opens_at - dt.timedelta(minutes=30), tick=False)

    report = bounce_services.bounces_import(
        campaign=story.paris, content=_csv([("courriel", _ref(story.alice), "", "")])
    )

    assert report.applied == 1 and report.replacement_letters == 1
    moved = Notice.objects.get(pk=notice.pk).opens_at
    assert moved == services.opening_moment(timezone.now(), story.paris.delay_days)
    assert moved is not None and moved - timezone.now() > dt.timedelta(days=41)
    letter = NoticeDelivery.objects.get(
        notice=notice, channel=DeliveryChannel.LETTER, state=DeliveryState.PRINTED
    )
    assert letter.letter_batch is not None
    assert french_date(timezone.localdate(moved)) in _letters_text(letter.letter_batch)
    # Bruno, whose email arrived, still opens on the first date.
    assert Notice.objects.get(record__patient=story.bruno).opens_at == notice.opens_at


def test_importing_the_same_file_again_changes_nothing_and_says_so(story: Story) -> None:
    """GIVEN a file already imported WHEN it is imported again THEN nothing is
    applied, no letter is printed twice, and every line says it was done before."""
    content = _valid_file(story)
    bounce_services.bounces_import(campaign=story.paris, content=content)
    states, batches = _states(), LetterBatch.objects.count()

    again = bounce_services.bounces_import(campaign=story.paris, content=content)

    assert again.applied == 0 and again.already == 3 and again.already_imported
    assert [line.line for line in again.refused] == [2, 3, 4]
    assert "déjà signalé comme non distribué" in again.refused[0].reason
    assert "déjà signalé comme revenu" in again.refused[2].reason
    assert _states() == states and LetterBatch.objects.count() == batches


def test_each_bad_line_is_reported_with_its_reason_and_the_good_ones_applied(
    story: Story,
) -> None:
    paris_ref = _ref(story.alice)
    rows = [
        ("courriel", f"C{story.paris.pk}-9999999", "", ""),  # 2
        ("courriel", "ABC-12", "", ""),  # 3
        ("courriel", _ref(story.ines), "", ""),  # 4
        ("courriel", paris_ref, "autre@exemple.fr", ""),  # 5
        ("courriel", "", "inconnu@exemple.fr", ""),  # 6
        ("courriel", "", "imbert@exemple.fr", ""),  # 7
        ("courrier", paris_ref, "", "NPAI"),  # 8
        ("courriel", _ref(story.chloe), "", ""),  # 9
        ("fax", paris_ref, "", ""),  # 10
        ("courriel", "", "", "rien"),  # 11
        ("courrier", "", "caron@exemple.fr", ""),  # 12
        ("courriel", _ref(story.olga), "", ""),  # 13
        ("courriel", "", "pas-une-adresse", ""),  # 14
        ("courriel", paris_ref, "arnaud@exemple.fr", "boîte pleine"),  # 15: valid
        ("e-mail", paris_ref.lower(), "ARNAUD@exemple.fr", ""),  # 16: same as 15
        ("", paris_ref, "", ""),  # 17
    ]

    report = bounce_services.bounces_import(campaign=story.paris, content=_csv(rows))

    reasons = {line.line: line.reason for line in report.refused}
    expected = {
        2: f"Référence inconnue : C{story.paris.pk}-9999999.",
        3: "Référence « ABC-12 » mal formée",
        4: "autre campagne (« Lyon 2026 »)",
        5: "ne correspond pas au courriel envoyé pour cet avis",
        6: "Aucun courriel de cette campagne n’a été envoyé à cette adresse.",
        7: "Cette adresse a reçu l’avis d’une autre campagne",
        8: "Cet avis n’a pas été envoyé par courrier.",
        9: "Cet avis n’a pas été envoyé par courriel.",
        10: "Type « fax » inconnu",
        11: "Indiquez la référence de l’avis ou l’adresse électronique",
        12: "obligatoire pour un courrier revenu",
        13: "La personne s’est opposée",
        14: "Adresse électronique mal formée.",
        16: "Même envoi que la ligne 15",
        17: "Type manquant",
    }
    assert sorted(reasons) == sorted(expected)
    for line, text in expected.items():
        assert text in reasons[line], (line, reasons[line])
    assert report.applied == 1 and report.already == 0 and not report.already_imported
    assert NoticeDelivery.objects.filter(
        notice__record__patient=story.alice, channel=DeliveryChannel.LETTER
    ).exists()
    # The opposed person gets nothing, and the other campaign is untouched.
    assert not NoticeDelivery.objects.filter(
        notice__record__patient__in=[story.olga, story.ines], channel=DeliveryChannel.LETTER
    ).exists()
    assert NoticeDelivery.objects.get(notice__record__patient=story.ines).state == "sent"


def test_a_person_who_already_opened_their_record_gets_no_replacement_letter(
    story: Story,
) -> None:
    outcomes.notice_activate(
        code=_code(story.bruno),
        birth_date=story.bruno.birth_date,
        email="bruno.compte@exemple.fr",
        password="Un-mot-de-passe-solide-2026",
    )

    report = bounce_services.bounces_import(
        campaign=story.paris, content=_csv([("courriel", _ref(story.bruno), "", "")])
    )

    assert report.applied == 0
    assert "Le dossier est déjà ouvert" in report.refused[0].reason
    assert (
        not NoticeDelivery.objects.filter(channel=DeliveryChannel.LETTER)
        .exclude(notice__record__patient=story.chloe)
        .exists()
    )


def test_an_email_not_sent_yet_cannot_have_bounced(db: None) -> None:
    person = _person("Paul", "PETIT")
    campaign = CampaignFactory(name="Lente")
    with TestCase.captureOnCommitCallbacks(execute=False):  # the sending task never ran
        services.campaign_start(campaign=campaign)
    services.notices_issue_batch(campaign_id=campaign.pk)

    report = bounce_services.bounces_import(
        campaign=campaign, content=_csv([("courriel", _ref(person), "", "")])
    )

    assert "n’est pas encore parti" in report.refused[0].reason
    assert NoticeDelivery.objects.get().state == DeliveryState.PENDING


def test_letters_to_two_guardians_are_told_apart_by_their_recipient(db: None) -> None:
    """GIVEN a minor whose two guardians have no email (two letters, one reference)
    WHEN a letter comes back THEN the reference alone is ambiguous, and the
    recipient as written in the manifest says which one."""
    mother = PatientFactory(given_names="Marie", birth_names="LEROY", email="")
    father = PatientFactory(given_names="Marc", birth_names="LEROY", email="")
    child = _person("Léa", "LEROY", email=False, birth_date=dt.date(2016, 5, 1))
    for guardian in (mother, father):
        GuardianToInform.objects.create(patient=child, guardian_nir=guardian.nir)
    campaign = _start("Familles")
    reference = _ref(child)
    header = ("type", "reference", "destinataire")

    ambiguous = bounce_services.bounces_import(
        campaign=campaign, content=_csv([("courrier", reference, "")], header=header)
    )
    told = bounce_services.bounces_import(
        campaign=campaign,
        content=_csv(
            [("courrier", f"'{reference}", f"  {mother.full_name.upper()} ")], header=header
        ),
    )

    assert "Plusieurs courriers ont été envoyés pour cet avis" in ambiguous.refused[0].reason
    assert told.applied == 1 and told.letters_returned == 1
    states = dict(NoticeDelivery.objects.values_list("recipient_key", "state"))
    assert states == {mother.nir: DeliveryState.BOUNCED, father.nir: DeliveryState.PRINTED}


def test_a_returned_letter_is_marked_once(story: Story) -> None:
    letter = NoticeDelivery.objects.get(notice__record__patient=story.chloe)

    first = bounce_services.letter_returned(delivery_id=letter.pk)
    second = bounce_services.letter_returned(delivery_id=letter.pk)

    letter.refresh_from_db()
    assert (first, second) == (True, False) and letter.state == DeliveryState.BOUNCED


def test_email_bounced_replaces_only_a_sent_email_of_a_notice_still_waiting(
    story: Story,
) -> None:
    def email_of(person: Patient) -> int:
        return NoticeDelivery.objects.get(
            notice__record__patient=person, channel=DeliveryChannel.EMAIL
        ).pk

    paris = story.paris.pk

    replaced = bounce_services.email_bounced(campaign_id=paris, delivery_id=email_of(story.alice))
    again = bounce_services.email_bounced(campaign_id=paris, delivery_id=email_of(story.alice))
    opposed = bounce_services.email_bounced(campaign_id=paris, delivery_id=email_of(story.olga))
    elsewhere = bounce_services.email_bounced(campaign_id=paris, delivery_id=email_of(story.ines))

    assert (replaced, again, opposed, elsewhere) == (
        "replaced",
        "unchanged",
        "answered",
        "unchanged",
    )
    assert NoticeDelivery.objects.get(pk=email_of(story.olga)).state == DeliveryState.SENT
    assert NoticeDelivery.objects.get(pk=email_of(story.ines)).state == DeliveryState.SENT
    assert NoticeDelivery.objects.filter(channel=DeliveryChannel.LETTER).count() == 2


def test_an_answer_given_during_the_import_stops_the_replacement_letter(
    story: Story, monkeypatch: Any
) -> None:
    """GIVEN a file whose lines were checked WHEN the person opposes before their
    line is applied THEN no letter is printed and the line says why."""
    real = services.deliveries_bounced

    def oppose_first(*, campaign_id: int, delivery_ids: Sequence[int]) -> dict[int, str]:
        outcomes.notice_oppose(code=_code(story.alice), birth_date=story.alice.birth_date)
        return real(campaign_id=campaign_id, delivery_ids=delivery_ids)

    monkeypatch.setattr(services, "deliveries_bounced", oppose_first)

    report = bounce_services.bounces_import(
        campaign=story.paris, content=_csv([("courriel", _ref(story.alice), "", "")])
    )

    assert report.applied == 0 and report.already == 0
    assert "a répondu à l’avis entre-temps" in report.refused[0].reason
    assert not NoticeDelivery.objects.filter(
        notice__record__patient=story.alice, channel=DeliveryChannel.LETTER
    ).exists()


def test_a_replacement_letter_that_does_not_fit_is_reported_and_the_others_printed(
    story: Story,
) -> None:
    """GIVEN two bounced emails, one to an address too long for the envelope window
    WHEN the file is imported THEN the batch is refused whole, the lines are
    applied one by one: the other person gets their letter, this line is
    reported and its email left as it was."""
    alice_email = NoticeDelivery.objects.get(notice__record__patient=story.alice)
    NoticeDelivery.objects.filter(pk=alice_email.pk).update(
        address_lines=[
            f"Bâtiment {n}, escalier des Longues Terrasses du Parc" * 2 for n in range(6)
        ]
    )

    report = bounce_services.bounces_import(
        campaign=story.paris,
        content=_csv(
            [
                ("courriel", _ref(story.alice), "", ""),
                ("courriel", _ref(story.bruno), "", ""),
            ]
        ),
    )

    assert report.applied == 1 and report.already == 0
    assert [r.line for r in report.refused] == [2]
    assert "n’a pas pu être mis en page" in report.refused[0].reason
    assert NoticeDelivery.objects.get(pk=alice_email.pk).state == DeliveryState.SENT
    assert not NoticeDelivery.objects.filter(
        notice__record__patient=story.alice, channel=DeliveryChannel.LETTER
    ).exists()
    letter = NoticeDelivery.objects.get(
        notice__record__patient=story.bruno, channel=DeliveryChannel.LETTER
    )
    assert letter.state == DeliveryState.PRINTED


# --- The file as a whole -----------------------------------------------------------------------


def test_windows_1252_comma_separated_and_bom_files_are_read(story: Story) -> None:
    cp1252 = _csv(
        [("Courriel", _ref(story.alice), "arnaud@exemple.fr", "boîte pleine")],
        header=("Type", "Référence", "E-mail", "Motif"),
        sep=",",
        encoding="cp1252",
    )
    bom = b"\xef\xbb\xbf" + _csv([("NPAI", _ref(story.chloe), "", "n’habite pas à l’adresse")])

    first = bounce_services.bounces_import(campaign=story.paris, content=cp1252)
    second = bounce_services.bounces_import(campaign=story.paris, content=bom)

    assert (first.applied, first.emails_bounced) == (1, 1)
    assert (second.applied, second.letters_returned) == (1, 1)


def test_returns_and_cohorts_read_the_same_files_utf16_included(story: Story) -> None:
    """GIVEN a returns file saved by Excel as "Unicode text" (UTF-16 with its BOM),
    which the cohort import already accepted
    THEN the returns import reads it too: one reader serves both."""
    from messpace.csvfile import csv_decode

    utf16 = _csv([("NPAI", _ref(story.chloe), "", "")]).decode("utf-8").encode("utf-16")

    report = bounce_services.bounces_import(campaign=story.paris, content=utf16)

    assert (report.applied, report.letters_returned) == (1, 1)
    assert csv_decode(utf16)[1] == "UTF-16"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (_csv([("courriel", "C1-0000001")], header=("reference", "motif")), "En-tête incomplet"),
        (_csv([("courriel", "x")], header=("type", "motif")), "« reference » ou « courriel »"),
        (_csv([], header=HEADER), "ne contient que la ligne d’en-tête"),
        (b"type reference\ncourriel C1-0000001\n", "Séparateur introuvable"),
        (b'type;reference\ncourriel;"C1-0000001\n', "mal formé à la ligne"),
        (b"type;reference;type\ncourriel;C1-1;x\n", "Colonnes en double"),
        ("type;reference\ncourriel;C1-\x81\x8d\n".encode("latin-1"), "L’encodage du fichier"),
        ("type;reference\ncourriel;C1-1\n".encode("utf-16")[:-1], "L’encodage du fichier"),
    ],
)
def test_a_refused_file_changes_nothing(story: Story, content: bytes, message: str) -> None:
    states, batches = _states(), LetterBatch.objects.count()

    with pytest.raises(ValidationError) as refused:
        bounce_services.bounces_import(campaign=story.paris, content=content)

    assert message in refused.value.messages[0]
    assert _states() == states and LetterBatch.objects.count() == batches


def test_a_file_too_big_or_too_long_is_refused_whole(story: Story, monkeypatch: Any) -> None:
    states = _states()
    content = _valid_file(story)
    monkeypatch.setattr(bounce_services, "MAX_BYTES", len(content) - 1)

    with pytest.raises(ValidationError) as too_big:
        bounce_services.bounces_import(campaign=story.paris, content=content)
    monkeypatch.setattr(bounce_services, "MAX_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(bounce_services, "MAX_LINES", 2)
    with pytest.raises(ValidationError) as too_long:
        bounce_services.bounces_import(campaign=story.paris, content=content)
    monkeypatch.setattr(bounce_services, "MAX_LINES", 5000)
    monkeypatch.setattr(bounce_services, "MAX_EMAIL_LINES", 1)
    with pytest.raises(ValidationError) as too_many_emails:
        bounce_services.bounces_import(campaign=story.paris, content=content)

    assert "au-delà de la taille maximale" in too_big.value.messages[0]
    assert "plus de 2 lignes" in too_long.value.messages[0]
    assert (
        "2 courriels non distribués, au-delà de 1 par fichier"
        in (too_many_emails.value.messages[0])
    )
    assert _states() == states


# --- Console page --------------------------------------------------------------------------------


def _admin(login: Login, client: Client) -> Client:
    return login(
        client,
        UserFactory(
            email="nadia.admin@exemple.fr",
            first_name="Nadia",
            is_staff=True,
        ),
    )


def test_admin_imports_a_file_and_reads_the_report(
    story: Story, client: Client, login: Login
) -> None:
    client = _admin(login, client)
    url = reverse("console-optout:campaign_returns", args=[story.paris.pk])
    content = _valid_file(story) + b"courriel;C0-0000001;;\r\n"

    page = client.get(url)
    first = client.post(url, {"file": SimpleUploadedFile("retours.csv", content, "text/csv")})
    again = client.post(url, {"file": SimpleUploadedFile("retours.csv", content, "text/csv")})

    assertContains(page, "type;reference;courriel;motif")
    assertContains(page, "Colonne obligatoire")
    assertContains(first, "Lignes appliquées : 3.")
    assertContains(first, "Courriers revenus (NPAI) : 1.")
    assertContains(first, "Référence inconnue : C0-0000001.")
    assertContains(first, '<th scope="row" class="num">5</th>', html=False)
    assertContains(
        first, reverse("console-optout:campaign", args=[story.paris.pk]) + "#batches-title"
    )
    assertNotContains(first, "déjà été importé")
    assertContains(again, "Lignes appliquées : 0.")
    assertContains(again, "(dont 3 déjà importées auparavant)")
    for response in (first, again):
        html = response.content.decode()
        for person in (story.alice, story.bruno, story.chloe):
            assert person.email not in html or not person.email
            assert person.birth_names not in html and person.nir not in html


def test_reimporting_a_fully_applied_file_says_it_was_already_imported(
    story: Story, client: Client, login: Login
) -> None:
    client = _admin(login, client)
    url = reverse("console-optout:campaign_returns", args=[story.paris.pk])
    content = _valid_file(story)
    client.post(url, {"file": SimpleUploadedFile("r.csv", content, "text/csv")})

    again = client.post(url, {"file": SimpleUploadedFile("r.csv", content, "text/csv")})

    assertContains(again, "Ce fichier avait déjà été importé : aucune ligne n’a changé.")


def test_admin_upload_of_a_refused_file_shows_why_and_changes_nothing(
    story: Story, client: Client, login: Login, monkeypatch: Any
) -> None:
    client = _admin(login, client)
    url = reverse("console-optout:campaign_returns", args=[story.paris.pk])
    states = _states()
    missing = _csv([("C1-0000001", "NPAI")], header=("reference", "motif"))
    monkeypatch.setattr(bounce_services, "MAX_BYTES", 1024)

    refused = client.post(url, {"file": SimpleUploadedFile("a.csv", missing, "text/csv")})
    too_big = client.post(url, {"file": SimpleUploadedFile("b.csv", b"x;" * 5000, "text/csv")})

    assertContains(refused, "En-tête incomplet")
    assertContains(refused, "rien n’a été modifié")
    assertContains(too_big, "dépasse la taille maximale de 1 Ko")
    assert _states() == states


def test_only_the_console_admins_import_returns(story: Story, client: Client, login: Login) -> None:
    url = reverse("console-optout:campaign_returns", args=[story.paris.pk])
    states = _states()
    patient = PatientFactory(user=UserFactory(email="patiente@exemple.fr"))
    assert patient.user is not None
    agent = UserFactory(email="nadia@exemple.fr", is_support_agent=True)

    def post(as_client: Client) -> Any:
        upload = SimpleUploadedFile("r.csv", _valid_file(story), "text/csv")
        return as_client.post(url, {"file": upload})

    assert post(Client()).status_code == 302  # to the login page
    assert post(login(Client(), patient.user)).status_code == 404
    assert post(login(Client(), agent)).status_code == 404
    assert _states() == states


def test_a_draft_campaign_has_no_returns_to_import(db: None, client: Client, login: Login) -> None:
    draft = CampaignFactory(name="Brouillon")
    client = _admin(login, client)
    url = reverse("console-optout:campaign_returns", args=[draft.pk])

    page = client.get(url)
    posted = client.post(
        url, {"file": SimpleUploadedFile("r.csv", _csv([("courrier", "C1-1", "", "")]), "text/csv")}
    )

    assertContains(page, "n’a pas encore été démarrée")
    assertNotContains(posted, "Compte rendu")
    assert client.get(reverse("console-optout:campaign_returns", args=[999999])).status_code == 404
