"""The campaigns' dashboard: exact figures for a known story, its charts, its CSV
export, its query count and who may read it (aggregates only, never a person)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from consent.optout import charts, exports
from consent.optout import selectors as dashboard
from consent.optout.models import Campaign, DeliveryChannel, NoticeDelivery
from consent.optout.services import campaigns as services
from consent.optout.services import outcomes
from consent.optout.services import returns as bounce_services
from messpace.accounts.models import User
from records.lifecycle.models import Record, RecordState
from records.models import Patient
from tests.factories import CampaignFactory, PatientFactory, UserFactory, set_record_state

PARIS = ZoneInfo("Europe/Paris")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # a Monday
PASSWORD = "Un-mot-de-passe-solide-2026"
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


def _campaign(name: str) -> Campaign:
    return CampaignFactory(name=name)


def _start(campaign: Campaign) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign)


def _code(patient: Patient) -> str:
    body = next(m.body for m in mail.outbox if m.to == [patient.email])
    match = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", body)
    assert match is not None
    return match.group(0)


def _delivery(patient: Patient, channel: str) -> NoticeDelivery:
    return NoticeDelivery.objects.get(notice__record__patient=patient, channel=channel)


@dataclass
class Story:
    paris: Campaign
    lyon: Campaign
    people: list[Patient]


def _story(time_machine: Any) -> Story:
    """Two campaigns told week by week (see the figures expected below).

    Paris (started Monday 2 March 2026, opening on 13 April) targets eight people:
    Alice opens her record online and signs in; Bruno opposes; Chloé (no email)
    has hers opened by the support service; David's email bounces the first day
    (a letter replaces it); Hugo's letter comes back (NPAI); Emma (a login never used),
    Farid (a login used) and Gabriel open automatically, then Farid closes his
    record and Gabriel's is deleted. Lyon (started 1 April) targets Inès and
    Jules, still waiting on 14 April. Zoé's record was active before any campaign.
    """
    zoe = PatientFactory(given_names="Zoé", birth_names="ZELLER")
    alice = _person("Alice", "ARNAUD")
    bruno = _person("Bruno", "BERTIN")
    chloe = _person("Chloé", "CARON", email=False)
    david = _person("David", "DUMAS")
    emma = _person("Emma", "ESNAULT", email=False, user=UserFactory(email="emma.compte@exemple.fr"))
    farid = _person("Farid", "FERRAND", user=UserFactory(email="farid.compte@exemple.fr"))
    User.objects.filter(pk=farid.user_id).update(last_login=START)
    gabriel = _person("Gabriel", "GIRARD")
    hugo = _person("Hugo", "HAMON", email=False)
    paris = _campaign("Paris 2026")
    _start(paris)
    # David's email bounces the same day: his letter keeps the same opening date
    # (a later bounce would move it, to give him the whole delay).
    services.delivery_bounced(delivery_id=_delivery(david, DeliveryChannel.EMAIL).pk)

    time_machine.move_to(START + dt.timedelta(days=1), tick=False)
    outcomes.notice_oppose(code=_code(bruno), birth_date=bruno.birth_date)
    account = outcomes.notice_activate(
        code=_code(alice),
        birth_date=alice.birth_date,
        email="alice.compte@exemple.fr",
        password=PASSWORD,
    )
    User.objects.filter(pk=account.pk).update(last_login=timezone.now())

    time_machine.move_to(START + dt.timedelta(days=8), tick=False)
    agent = UserFactory(is_support_agent=True)
    outcomes.caller_activate(agent=agent, nir=chloe.nir, birth_date=chloe.birth_date)
    assert bounce_services.letter_returned(delivery_id=_delivery(hugo, DeliveryChannel.LETTER).pk)

    time_machine.move_to(dt.datetime(2026, 4, 1, 10, 0, tzinfo=PARIS), tick=False)
    ines = _person("Inès", "IMBERT")
    jules = _person("Jules", "JOLY", email=False)
    lyon = _campaign("Lyon 2026")
    _start(lyon)

    # Midnight starting 13 April, Paris time: still 12 April in UTC.
    time_machine.move_to(dt.datetime(2026, 4, 13, 0, 1, tzinfo=PARIS), tick=False)
    assert outcomes.records_open_due() == 5
    set_record_state(farid, RecordState.CLOSED)
    set_record_state(gabriel, RecordState.DELETED)

    time_machine.move_to(dt.datetime(2026, 4, 14, 9, 0, tzinfo=PARIS), tick=False)
    people = [zoe, alice, bruno, chloe, david, emma, farid, gabriel, hugo, ines, jules]
    return Story(paris=paris, lyon=lyon, people=people)


PARIS_FIGURES = {
    "created": 8,
    "to_issue": 0,
    "notified": 8,
    "emails": 5,  # Alice, Bruno, David, Farid, Gabriel
    "emails_bounced": 1,  # David
    "letters": 4,  # Chloé, Emma, Hugo, and David's replacement
    "letters_returned": 1,  # Hugo
    "opposed": 1,
    "activated_online": 1,
    "activated_support": 1,
    "opened_auto": 5,
    "pending": 0,
    "closed": 2,  # Farid (closed), Gabriel (deleted)
    "opened": 6,  # Alice, Chloé, David, Emma, Hugo active; Farid closed
    "used": 2,  # Alice and Farid signed in; Emma never did, Chloé has no login
}
LYON_FIGURES = {
    **dict.fromkeys(PARIS_FIGURES, 0),
    "created": 2,
    "notified": 2,
    "emails": 1,
    "letters": 1,
    "pending": 2,
}


def _counts(figures: dashboard.CampaignFigures) -> dict[str, int]:
    return {name: getattr(figures, name) for name in PARIS_FIGURES}


def _admin(login: Login, client: Client) -> Client:
    return login(
        client,
        UserFactory(
            email="nadia.admin@exemple.fr",
            first_name="Nadia",
            last_name="Admin",
            is_staff=True,
        ),
    )


# --- Figures -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_campaign_figures_follow_each_answer_and_state(time_machine: Any) -> None:
    story = _story(time_machine)

    paris = dashboard.campaign_dashboard(campaign_id=story.paris.pk)
    lyon = dashboard.campaign_dashboard(campaign_id=story.lyon.pk)

    assert _counts(paris.figures) == PARIS_FIGURES
    assert paris.figures.activated_early == 2
    assert paris.figures.used_percent == pytest.approx(100 * 2 / 6)
    assert (paris.figures.name, paris.figures.state) == ("Paris 2026", "Envoyée")
    assert _counts(lyon.figures) == LYON_FIGURES
    assert lyon.figures.used_percent is None


@pytest.mark.django_db
def test_answers_are_counted_by_week_of_paris_time(time_machine: Any) -> None:
    """GIVEN records opened automatically at 00:01 on Monday 13 April, Paris time
    (still Sunday in UTC) WHEN answers are counted by week THEN they fall in the
    week of 13 April, and the quiet weeks in between show zeros."""
    story = _story(time_machine)

    weeks = dashboard.campaign_dashboard(campaign_id=story.paris.pk).weeks

    assert [(w.week, w.opposed, w.activated, w.opened) for w in weeks] == [
        (dt.date(2026, 3, 2), 1, 1, 0),
        (dt.date(2026, 3, 9), 0, 1, 0),
        (dt.date(2026, 3, 16), 0, 0, 0),
        (dt.date(2026, 3, 23), 0, 0, 0),
        (dt.date(2026, 3, 30), 0, 0, 0),
        (dt.date(2026, 4, 6), 0, 0, 0),
        (dt.date(2026, 4, 13), 0, 0, 5),
    ]
    assert dashboard.campaign_dashboard(campaign_id=story.lyon.pk).weeks == []


@pytest.mark.django_db
def test_overall_figures_add_up_the_campaigns_and_count_every_record_created(
    time_machine: Any,
) -> None:
    story = _story(time_machine)

    overall = dashboard.overall_dashboard()

    assert [row.name for row in overall.campaigns] == ["Lyon 2026", "Paris 2026"]
    expected = {name: PARIS_FIGURES[name] + LYON_FIGURES[name] for name in PARIS_FIGURES}
    expected["created"] = 11  # every record, Zoé's too, which no campaign targeted
    assert _counts(overall.total) == expected
    assert overall.total.campaign_id is None
    assert len(overall.weeks) == 7 and sum(w.opened for w in overall.weeks) == 5
    assert len(story.people) == Record.objects.count()


@pytest.mark.django_db
def test_no_campaign_gives_zeros_and_no_chart() -> None:
    PatientFactory()

    overall = dashboard.overall_dashboard()

    assert overall.campaigns == [] and overall.weeks == []
    assert overall.total.created == 1 and overall.total.notified == 0
    assert overall.total.used_percent is None
    assert charts.answers_chart(chart_id="a", title="t", weeks=overall.weeks) == ""


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_records(
    django_assert_max_num_queries: Any, time_machine: Any
) -> None:
    """GIVEN a campaign of 3 people, then 40 more people in a second campaign with
    answers WHEN the dashboards are read THEN the same few queries serve both."""
    for i in range(3):
        _person(f"Petit{i}", f"PETIT{i}")
    small = _campaign("Petite")
    _start(small)
    with django_assert_max_num_queries(5):
        dashboard.overall_dashboard()
    with django_assert_max_num_queries(4):
        dashboard.campaign_dashboard(campaign_id=small.pk)

    people = [_person(f"Grand{i}", f"GRAND{i}", email=i % 2 == 0) for i in range(40)]
    big = _campaign("Grande")
    _start(big)
    outcomes.notice_oppose(code=_code(people[0]), birth_date=people[0].birth_date)
    time_machine.move_to(START + dt.timedelta(days=60), tick=False)
    outcomes.records_open_due()

    with django_assert_max_num_queries(5):
        overall = dashboard.overall_dashboard()
    with django_assert_max_num_queries(4):
        one = dashboard.campaign_dashboard(campaign_id=big.pk)
    assert overall.total.notified == 43 and one.figures.opened_auto == 39


# --- Charts ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_charts_are_accessible_svg_without_script(time_machine: Any) -> None:
    story = _story(time_machine)
    data = dashboard.campaign_dashboard(campaign_id=story.paris.pk)

    funnel = charts.funnel_chart(
        chart_id="f", title="Parcours <test>", bars=charts.funnel_bars(data.figures)
    )
    answers = charts.answers_chart(chart_id="w", title="Réponses", weeks=data.weeks)

    for svg in (funnel, answers):
        assert svg.startswith("<svg") and 'role="img"' in svg
        assert "<script" not in svg and "<title id=" in svg and "<desc id=" in svg
    assert 'aria-labelledby="f-title f-desc"' in funnel
    assert "Parcours &lt;test&gt;" in funnel  # escaped
    assert "Oppositions : 1" in funnel and "Ouvertures automatiques : 5" in funnel
    assert funnel.count("<rect") == 1 + len(charts.funnel_bars(data.figures))  # ground, bars
    assert "du 02/03/2026 au 19/04/2026" in answers
    assert answers.count("<rect") == 1 + 7 * 3 + 3  # ground, three bars a week, legend


# --- Console pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_reads_the_dashboards_with_no_personal_data(
    client: Client, login: Login, time_machine: Any
) -> None:
    story = _story(time_machine)
    client = _admin(login, client)

    overall = client.get(reverse("console-optout:campaigns"))
    paris = client.get(reverse("console-optout:campaign", args=[story.paris.pk]))

    assertContains(overall, "Campagnes d’information")
    assertContains(overall, "Paris 2026")
    assertContains(overall, "Lyon 2026")
    assertContains(paris, "<h1>Paris 2026</h1>", html=True)
    assertContains(paris, 'role="img"', count=2)
    assertContains(paris, "dont courriers revenus (NPAI)")
    assertContains(paris, "(33,3 %)")
    assertContains(paris, '<th scope="row">13/04/2026</th>')
    assertContains(paris, reverse("console-optout:campaign_returns", args=[story.paris.pk]))
    assertNotContains(paris, reverse("console-optout:campaign_start", args=[story.paris.pk]))
    for page in (overall, paris):
        html = page.content.decode()
        for person in story.people:
            assert person.nir not in html and person.birth_names not in html
            assert person.email not in html or not person.email
        assert "alice.compte@exemple.fr" not in html


@pytest.mark.django_db
def test_a_draft_offers_its_start_and_no_returns_and_the_technical_admin_links_to_it(
    client: Client, login: Login
) -> None:
    campaign = _campaign("Paris 2026")
    PatientFactory(record_state=RecordState.CREATED)
    url = reverse("console-optout:campaign", args=[campaign.pk])

    page = _admin(login, client).get(url)
    technical = login(
        Client(), UserFactory(email="tech@exemple.fr", is_staff=True, is_superuser=True)
    )
    listing = technical.get(reverse("admin:optout_campaign_changelist"))
    change = technical.get(reverse("admin:optout_campaign_change", args=[campaign.pk]))

    assertContains(page, reverse("console-optout:campaign_start", args=[campaign.pk]))
    assertNotContains(page, reverse("console-optout:campaign_returns", args=[campaign.pk]))
    assertContains(listing, url)
    assertContains(change, url)
    assertNotContains(change, 'name="_save"')  # read-only: changes go through the console


@pytest.mark.django_db
def test_dashboard_page_costs_a_bounded_number_of_queries(
    client: Client, login: Login, django_assert_max_num_queries: Any, time_machine: Any
) -> None:
    story = _story(time_machine)
    client = _admin(login, client)
    urls = [
        reverse("console-optout:campaigns"),
        reverse("console-optout:campaign", args=[story.paris.pk]),
        reverse("console-optout:campaigns_csv"),
    ]
    client.get(urls[0])  # session and device lookups warmed up alike for each page

    for url in urls:
        # The session, the user and the site-wide context; the figures; the
        # campaign's criteria and letter batches.
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_others_cannot_reach_the_dashboard(client: Client, login: Login) -> None:
    campaign = _campaign("Paris 2026")
    urls = [
        reverse("console-optout:campaigns"),
        reverse("console-optout:campaign", args=[campaign.pk]),
        reverse("console-optout:campaigns_csv"),
    ]
    patient = PatientFactory(user=UserFactory(email="patiente@exemple.fr"))
    assert patient.user is not None
    agent = UserFactory(email="nadia@exemple.fr", is_support_agent=True)

    anonymous = [Client().get(url) for url in urls]
    as_patient = [login(Client(), patient.user).get(url) for url in urls]
    as_agent = [login(Client(), agent).get(url) for url in urls]

    assert [r.status_code for r in anonymous] == [302] * 3
    assert all(r["Location"].startswith(reverse("accounts:login")) for r in anonymous)
    assert [r.status_code for r in as_patient + as_agent] == [404] * 6
    admin = _admin(login, client)
    assert admin.get(reverse("console-optout:campaign", args=[999999])).status_code == 404


# --- CSV export --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_export_opens_in_french_excel_one_row_per_campaign_and_a_total(
    client: Client, login: Login, time_machine: Any
) -> None:
    story = _story(time_machine)
    client = _admin(login, client)

    response = client.get(reverse("console-optout:campaigns_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == list(exports.CSV_COLUMNS)
    assert rows[0][:4] == ["Campagne", "État", "Démarrée le", "Dossiers créés"]
    assert [row[0] for row in rows[1:]] == ["Lyon 2026", "Paris 2026", "Total"]
    paris = dict(zip(rows[0], rows[2], strict=True))
    assert paris["État"] == "Envoyée" and paris["Démarrée le"] == "02/03/2026"
    assert paris["Dossiers créés"] == "8" and paris["Oppositions"] == "1"
    assert paris["Courriels non distribués remplacés par un courrier"] == "1"
    assert paris["Courriers revenus (NPAI)"] == "1"
    assert paris["Ouvertures anticipées par l’assistance"] == "1"
    assert paris["Ouvertures automatiques"] == "5"
    assert paris["Dossiers ouverts utilisés"] == "2" and paris["Part utilisée (%)"] == "33,3"
    total = dict(zip(rows[0], rows[3], strict=True))
    assert total["Dossiers créés"] == "11" and total["Avis envoyés"] == "10"
    assert total["En attente d’ouverture"] == "2" and total["Part utilisée (%)"] == "33,3"
    for person in story.people:
        assert person.nir not in text and person.birth_names not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://pirate.example","x")', "+33 1", "-2+3", "@SUM(A1:A2)"]
)
def test_csv_export_keeps_formula_like_campaign_names_as_text(name: str) -> None:
    _campaign(name)
    overall = dashboard.overall_dashboard()

    content = exports.dashboard_csv(campaigns=overall.campaigns, total=overall.total)

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1][0] == "'" + name
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
