"""The national figures: computed by the nightly task from data the test creates,
checked against counts made here independently (in Python, over the rows), and
shown in the console with charts, tables and a CSV, to admins only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import AccessAction, AccessBasis, AccessLog
from consent.optout.models import Notice, NoticeOutcome
from consent.policy import own_record_access, professional_record_access
from documents import services as document_services
from documents.models import Document, DocumentType
from messpace.accounts.models import SignInDay, User
from messpace.statistics import services
from messpace.statistics.models import NationalFigure
from records.lifecycle.models import Record, RecordClosure, RecordState
from records.lifecycle.services import record_close
from records.models import AuthorKind, Patient
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
Login = Callable[[Client, User], Client]
MAY, JUNE = dt.date(2026, 5, 1), dt.date(2026, 6, 1)
TODAY = dt.date(2026, 6, 20)
DOC_TYPE = DocumentType.values[0]


@pytest.fixture(autouse=True)
def _storage(media: Path, settings: Any) -> None:
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_ALLOW_NO_SCANNER = True


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def _in(moment: dt.datetime | None, start: dt.date, end: dt.date) -> bool:
    return moment is not None and _at(start, 0) <= moment < _at(end, 0)


def _deposit(pro: Any, patient: Patient) -> None:
    from tests.documents.test_documents import pdf_bytes

    access = professional_record_access(pro.user, patient.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        document_services.document_deposit(
            access=access,
            content=pdf_bytes(f"Compte rendu {patient.pk} {dt.datetime.now().timestamp()}"),
            filename="cr.pdf",
            declared_mime="application/pdf",
            doc_type=DOC_TYPE,
            title="Compte rendu",
            act_date=dt.date(2026, 5, 2),
        )


@pytest.fixture
def story(time_machine: Any, client: Client) -> dict[str, Any]:
    """May: three records created, two people sign in, a professional deposits two
    documents and reads a record, a patient uploads one; June: a record created,
    one of May's people comes back, another person signs in, a record closes."""
    time_machine.move_to(_at(dt.date(2026, 5, 4)), tick=False)
    patients = [PatientUserFactory() for _ in range(3)]
    pro = ProfessionalFactory()
    for patient in patients[:2]:
        CareRelationshipFactory(professional=pro, patient=patient)
    for user in (patients[0].user, patients[1].user):
        client.force_login(user)  # type: ignore[arg-type]
    client.force_login(patients[0].user)  # the same day again: counted once  # type: ignore[arg-type]
    _deposit(pro, patients[0])
    _deposit(pro, patients[1])
    AccessLog.objects.create(
        patient=patients[0],
        actor=pro.user,
        actor_label="Dr",
        role="professional",
        basis=AccessBasis.CARE_RELATIONSHIP,
        action=AccessAction.READ,
        what="allergies",
    )

    # Either side of midnight in Paris (21:30 and 22:30 UTC on 31 May).
    time_machine.move_to(_at(dt.date(2026, 5, 31), 23).replace(minute=30), tick=False)
    patients.append(PatientUserFactory())
    time_machine.move_to(_at(dt.date(2026, 6, 1), 0).replace(minute=30), tick=False)
    patients.append(PatientUserFactory())

    time_machine.move_to(_at(dt.date(2026, 6, 3)), tick=False)
    patients.append(PatientFactory(record_state=RecordState.CREATED))  # no login yet
    client.force_login(patients[0].user)  # type: ignore[arg-type]
    client.force_login(UserFactory())
    record_close(access=own_record_access(patients[2].user))  # type: ignore[arg-type]

    time_machine.move_to(_at(TODAY), tick=False)
    services.figures_refresh(today=TODAY)
    return {"patients": patients, "pro": pro}


def _figure(metric: str, start: dt.date) -> float | None:
    return NationalFigure.objects.get(metric=metric, starts_on=start).value


def test_each_figure_matches_a_count_made_independently(story: dict[str, Any]) -> None:
    records = list(Record.objects.select_related("patient__user"))
    documents = list(Document.objects.all())
    days = list(SignInDay.objects.all())
    for start, end in ((MAY, JUNE), (JUNE, dt.date(2026, 7, 1))):
        created = sum(1 for r in records if _in(r.created_at, start, end))
        assert _figure("records_created", start) == created
        until = [r for r in records if r.created_at < _at(end, 0)]
        activated = [
            r
            for r in until
            if r.patient.user is not None and r.patient.user.date_joined < _at(end, 0)
        ]
        assert _figure("share_activated", start) == round(100 * len(activated) / len(until), 1)
        month_docs = [d for d in documents if _in(d.created_at, start, end)]
        assert _figure("documents_deposited", start) == len(month_docs)
        by_pros = [d for d in month_docs if d.author_kind == AuthorKind.PROFESSIONAL]
        expected_share = round(100 * len(by_pros) / len(month_docs), 1) if month_docs else None
        assert _figure("documents_by_professionals", start) == expected_share
        assert _figure("professionals_depositing", start) == len({d.author_id for d in by_pros})
        closures = [c for c in RecordClosure.objects.all() if _in(c.closed_at, start, end)]
        assert _figure("closures", start) == len(closures)
        opposed = [
            n
            for n in Notice.objects.all()
            if n.outcome == NoticeOutcome.OPPOSED and _in(n.outcome_at, start, end)
        ]
        assert _figure("oppositions", start) == len(opposed)
    # The story's own numbers, so that the comparison above is not of zeros.
    # May: three, and the one of 23:30 on the 31st; June: 00:30 on the 1st, and one more.
    assert _figure("records_created", MAY) == 4 and _figure("records_created", JUNE) == 2
    # The one created on 3 June has no login: five of six activated by the end of June.
    assert _figure("share_activated", JUNE) == round(100 * 5 / 6, 1)
    assert _figure("documents_deposited", MAY) == 2
    assert _figure("documents_by_professionals", MAY) == 100.0
    assert _figure("professionals_depositing", MAY) == 1
    assert _figure("records_consulted", MAY) == 1
    assert _figure("closures", JUNE) == 1
    # Sign-ins: two people in May's first week; in June one of them came back (of two).
    may_week = dt.date(2026, 5, 4)
    assert (
        _figure("weekly_connections", may_week)
        == len({d.user_id for d in days if may_week <= d.day < may_week + dt.timedelta(days=7)})
        == 2
    )
    assert _figure("coming_back", JUNE) == 50.0
    assert _figure("coming_back", MAY) is None  # nobody signed in in April


def test_older_figures_are_kept_as_published(story: dict[str, Any], time_machine: Any) -> None:
    """Each night recomputes the last two periods only: a record erased, or sign-in
    days purged, do not rewrite last year's figures."""
    may = NationalFigure.objects.get(metric="records_created", starts_on=MAY)
    Record.objects.filter(created_at__lt=_at(JUNE, 0)).update(created_at=_at(JUNE, 12))

    services.figures_refresh(today=dt.date(2026, 7, 20))  # July: June and July recomputed

    may.refresh_from_db()
    assert may.value == 4  # as published
    assert _figure("records_created", JUNE) == 6  # June recomputed with the rows moved
    # The first run of a new window fills what is missing: August's month appears.
    services.figures_refresh(today=dt.date(2026, 8, 2))
    assert _figure("records_created", dt.date(2026, 8, 1)) == 0


def test_the_console_shows_charts_tables_and_a_csv_to_admins(
    story: dict[str, Any], client: Client, login: Login
) -> None:
    login(client, UserFactory(email="diane@exemple.fr", is_staff=True))
    page = client.get(reverse("console-figures:figures"))
    assertContains(
        page, '<h2 class="fr-h4" id="records_created-title">Dossiers créés</h2>', html=True
    )
    assertContains(
        page, 'role="img"', count=NationalFigure.objects.values("metric").distinct().count()
    )
    # No person's name on the page: counts only.
    for patient in story["patients"]:
        assertNotContains(page, patient.birth_names)

    export = client.get(reverse("console-figures:figures_csv"))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["indicateur", "période", "début", "valeur", "unité"]
    assert ["Dossiers créés", "mois", "2026-05-01", "4", "nombre"] in rows
    assert len(rows) == NationalFigure.objects.count() + 1


def test_the_figures_page_reads_only_the_table(
    story: dict[str, Any], client: Client, login: Login
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, UserFactory(email="diane@exemple.fr", is_staff=True))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("console-figures:figures")).status_code == 200
    tables = set(
        re.findall(r'FROM "([a-z_]+)"', " ".join(q["sql"] for q in queries.captured_queries))
    )
    assert "statistics_nationalfigure" in tables
    # The viewer's own session, login and roles (is the admin also a patient?), and the figures.
    assert tables - {"statistics_nationalfigure"} <= {
        "qsessions_session",
        "accounts_user",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
        "records_patient",
        "accounts_professional",
    }, tables


def test_support_agents_and_patients_get_404(client: Client, login: Login) -> None:
    for user in (UserFactory(is_support_agent=True), PatientUserFactory().user):
        login(client, user)  # type: ignore[arg-type]
        assert client.get(reverse("console-figures:figures")).status_code == 404
        assert client.get(reverse("console-figures:figures_csv")).status_code == 404
