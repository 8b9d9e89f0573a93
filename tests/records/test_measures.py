"""Health measures: accessible charts with their values, BMI, growth charts for children."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.policy import RecordAccess
from messpace.accounts.models import User
from records import charts, services
from records.models import Entry, Measure, MeasureKind, Patient
from records.selectors import Point, bmi_from, bmi_series, measure_bmi_series
from tests.factories import PatientUserFactory

PARIS = ZoneInfo("Europe/Paris")


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def measure(entry_for: Callable[..., Entry]) -> Callable[..., Entry]:
    def add(
        patient: Patient, kind: str, value: str, when: dt.datetime, value2: str | None = None
    ) -> Entry:
        return entry_for(
            patient,
            Measure,
            kind=kind,
            value=Decimal(value),
            value2=Decimal(value2) if value2 else None,
            measured_at=when,
        )

    return add


# --- BMI arithmetic ---


@pytest.mark.parametrize(
    ("weight", "height", "bmi"),
    [
        ("70", "175", "22.9"),
        ("52.5", "160", "20.5"),
        ("90.6", "200", "22.7"),  # 22.65 rounds half up, not to even
        ("3.5", "50", "14.0"),
    ],
)
def test_bmi_is_weight_over_height_squared_to_one_decimal(
    weight: str, height: str, bmi: str
) -> None:
    assert bmi_from(Decimal(weight), Decimal(height)) == Decimal(bmi)


def test_bmi_series_uses_the_latest_height_measured_before_each_weight() -> None:
    """GIVEN heights of 170 cm (2020) and 180 cm (2022), weights in 2019, 2021 and 2023
    THEN 2021 and 2023 use the height measured last before them, and the 2019 weight,
    older than any height, uses the first height rather than being dropped."""
    heights = [
        Point(at(dt.date(2020, 1, 1)), Decimal(170)),
        Point(at(dt.date(2022, 1, 1)), Decimal(180)),
    ]
    weights = [
        Point(at(dt.date(2019, 1, 1)), Decimal("72.25")),
        Point(at(dt.date(2021, 1, 1)), Decimal("72.25")),
        Point(at(dt.date(2023, 1, 1)), Decimal(81)),
    ]

    series = bmi_series(weights, heights)

    assert [p.value for p in series] == [Decimal("25.0"), Decimal("25.0"), Decimal("25.0")]
    assert [p.at for p in series] == [w.at for w in weights]


def test_no_bmi_without_any_height() -> None:
    assert bmi_series([Point(at(dt.date(2023, 1, 1)), Decimal(70))], []) == []


def test_measure_bmi_series_reads_only_live_measures_of_the_patient(
    alice: Patient, alice_access: RecordAccess, measure: Callable[..., Entry]
) -> None:
    dave = PatientUserFactory(given_names="David")
    measure(dave, MeasureKind.HEIGHT, "150", at(dt.date(2024, 1, 1)))
    measure(alice, MeasureKind.HEIGHT, "175", at(dt.date(2024, 1, 1)))
    measure(alice, MeasureKind.WEIGHT, "70", at(dt.date(2024, 2, 1)))
    wrong = measure(alice, MeasureKind.WEIGHT, "200", at(dt.date(2024, 3, 1)))
    services.entry_delete(access=alice_access, entry=wrong)

    series = measure_bmi_series(access=alice_access)

    assert [p.value for p in series] == [Decimal("22.9")]


# --- The measures page ---


@pytest.fixture
def adult_measures(alice: Patient, measure: Callable[..., Entry]) -> None:
    measure(alice, MeasureKind.HEIGHT, "175", at(dt.date(2024, 3, 1)))
    measure(alice, MeasureKind.WEIGHT, "72", at(dt.date(2024, 3, 10)))
    measure(alice, MeasureKind.WEIGHT, "70", at(dt.date(2024, 5, 20)))
    measure(alice, MeasureKind.BLOOD_PRESSURE, "120", at(dt.date(2024, 5, 20)), "80")
    measure(alice, MeasureKind.BLOOD_PRESSURE, "135", at(dt.date(2024, 5, 27)), "85")


@pytest.mark.usefixtures("adult_measures")
def test_measures_page_draws_an_accessible_chart_per_kind(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    html = response.content.decode()
    for kind in ("weight", "height", "blood_pressure"):
        assert f'role="img" aria-labelledby="chart-{kind}-title chart-{kind}-desc"' in html, kind
        assert f'<desc id="chart-{kind}-desc">' in html
    assertContains(response, '<title id="chart-weight-title">Poids au fil du temps</title>')
    assertContains(
        response,
        '<desc id="chart-weight-desc">2 valeur(s) du 10/03/2024 au 20/05/2024 ; '
        "minimum 70,0 kg, maximum 72,0 kg, dernière valeur 70,0 kg.</desc>",
    )
    assert "chart-heart_rate" not in html


@pytest.mark.usefixtures("adult_measures")
def test_each_chart_comes_with_a_table_of_its_values(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    charts_by_kind = {c.kind: c for c in response.context["charts"]}
    assert charts_by_kind["weight"].rows == [
        ("20/05/2024 09:00", "70,0 kg"),
        ("10/03/2024 09:00", "72,0 kg"),
    ]
    assert charts_by_kind["blood_pressure"].rows[0] == ("27/05/2024 09:00", "135/85 mmHg")
    assertContains(response, "<caption>Poids</caption>")
    assertContains(response, "<td>20/05/2024 09:00</td><td>70,0 kg</td>", html=False)


@pytest.mark.usefixtures("adult_measures")
def test_blood_pressure_chart_shows_both_values_with_a_legend(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    svg = {c.kind: c.svg for c in response.context["charts"]}["blood_pressure"]
    assert svg.count("<polyline") == 2
    assert ">Systolique</text>" in svg
    assert ">Diastolique</text>" in svg


@pytest.mark.usefixtures("adult_measures")
def test_adult_gets_a_bmi_chart_derived_from_weight_and_height(alice_client: Client) -> None:
    page = alice_client.get(reverse("records:section_list", args=["mesures"]))
    dashboard = alice_client.get(reverse("records:dashboard"))

    bmi = {c.kind: c for c in page.context["charts"]}["bmi"]
    assert bmi.rows == [("20/05/2024", "22,9 kg/m²"), ("10/03/2024", "23,5 kg/m²")]
    assertContains(page, 'aria-labelledby="chart-bmi-title chart-bmi-desc"')
    assert dashboard.context["bmi"] == Decimal("22.9")
    assertContains(dashboard, "IMC (calculé)")
    assertContains(dashboard, "22,9 kg/m²")


def test_page_without_measures_draws_no_chart(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    assert response.context["charts"] == []
    assertNotContains(response, "<svg")
    assertContains(response, "Aucune mesure enregistrée.")


def test_adult_head_circumference_is_listed_but_not_charted(
    alice_client: Client, alice: Patient, measure: Callable[..., Entry]
) -> None:
    measure(alice, MeasureKind.HEAD_CIRCUMFERENCE, "56", at(dt.date(2024, 1, 1)))

    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    assert response.context["charts"] == []
    assertContains(response, "56,0 cm")


def test_chart_date_labels_are_local_dates() -> None:
    """A measure taken at 00:30 in Paris on 10 March is 23:30 UTC on 9 March:
    the axis labels it 10/03."""
    utc = ZoneInfo("UTC")
    points = [
        dt.datetime(2024, 3, 1, 8, 0, tzinfo=utc),
        dt.datetime(2024, 3, 9, 23, 30, tzinfo=utc),
    ]

    _xs, labels = charts.time_axis(points)

    assert [label for _x, label in labels] == ["01/03", "10/03"]


# --- Children: growth against age, no BMI ---


@pytest.fixture
def leo(db: None, measure: Callable[..., Entry]) -> Patient:
    """A ten-year-old (born 15 January 2014) measured from age 8."""
    child = PatientUserFactory(given_names="Léo", birth_date=dt.date(2014, 1, 15))
    for day, height, weight, head in [
        (dt.date(2022, 6, 1), "128", "26", "52"),
        (dt.date(2023, 6, 1), "134", "29", "52.5"),
        (dt.date(2024, 5, 1), "139", "32.5", "53"),
    ]:
        measure(child, MeasureKind.HEIGHT, height, at(day))
        measure(child, MeasureKind.WEIGHT, weight, at(day))
        measure(child, MeasureKind.HEAD_CIRCUMFERENCE, head, at(day))
    measure(child, MeasureKind.TEMPERATURE, "38.5", at(dt.date(2024, 5, 2)))
    return child


@pytest.fixture
def leo_client(client: Client, leo: Patient, login: Callable[[Client, User], Client]) -> Client:
    assert leo.user is not None
    return login(client, leo.user)


def test_child_gets_growth_charts_against_age_and_no_bmi(leo_client: Client) -> None:
    response = leo_client.get(reverse("records:section_list", args=["mesures"]))

    html = response.content.decode()
    for kind in ("height", "weight", "head_circumference"):
        assert f'aria-labelledby="growth-{kind}-title growth-{kind}-desc"' in html, kind
        assert f"chart-{kind}-title" not in html
    assert '<title id="growth-height-title">Taille selon l’âge</title>' in html
    assert "chart-bmi" not in html
    assert "IMC" not in html
    # Other measures keep their chart over time.
    assert 'aria-labelledby="chart-temperature-title chart-temperature-desc"' in html


def test_growth_chart_rows_give_the_age_at_each_measure(leo_client: Client) -> None:
    response = leo_client.get(reverse("records:section_list", args=["mesures"]))

    growth = {c.kind: c for c in response.context["charts"]}["height"]
    assert growth.rows == [
        ("10,3 ans", "139,0 cm"),
        ("9,4 ans", "134,0 cm"),
        ("8,4 ans", "128,0 cm"),
    ]
    assert "de 8,4 ans à 10,3 ans" in growth.svg


def test_growth_chart_age_labels_lie_within_the_plot(leo_client: Client) -> None:
    response = leo_client.get(reverse("records:section_list", args=["mesures"]))

    svg = {c.kind: c.svg for c in response.context["charts"]}["height"]
    axis_y = charts.HEIGHT - charts.PAD_BOTTOM + 16
    labels = re.findall(rf'<text x="([\d.-]+)" y="{axis_y}"[^>]*>([^<]+)</text>', svg)
    assert [text for _x, text in labels] == ["9 ans", "10 ans"]
    for x, _text in labels:
        assert charts.PAD_LEFT <= float(x) <= charts.WIDTH - charts.PAD_RIGHT


def test_child_dashboard_shows_no_bmi(leo_client: Client) -> None:
    response = leo_client.get(reverse("records:dashboard"))

    assert response.context["bmi"] is None
    assertNotContains(response, "IMC")


# --- Periods and target bands ---


def test_a_period_narrows_the_charts_and_a_wrong_one_shows_everything(
    alice: Patient, alice_client: Client, measure: Callable[..., Entry]
) -> None:
    from django.utils import timezone

    now = timezone.now()
    measure(alice, MeasureKind.WEIGHT, "80", now - dt.timedelta(days=200))
    measure(alice, MeasureKind.WEIGHT, "78", now - dt.timedelta(days=10))
    url = reverse("records:section_list", args=["mesures"])

    def weights(query: dict[str, str]) -> int:
        response = alice_client.get(url, query)
        assert response.status_code == 200
        chart = {c.kind: c for c in response.context["charts"]}.get("weight")
        return len(chart.rows) if chart else 0

    assert weights({}) == 2
    assert weights({"periode": "3m"}) == 1
    assert weights({"periode": "1a"}) == 2
    assert weights({"periode": "<script>"}) == 2
    page = alice_client.get(url, {"periode": "3m"})
    assertContains(page, 'id="periode-3m" name="periode" checked', html=False)


@pytest.mark.usefixtures("adult_measures")
def test_blood_pressure_is_drawn_over_its_target_bands(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_list", args=["mesures"]))

    charts_by_kind = {c.kind: c.svg for c in response.context["charts"]}
    svg = charts_by_kind["blood_pressure"]
    assert svg.count('fill-opacity="0.08"') == 2
    assert "Zones cibles : systolique visée (automesure) : 90 à 135 mmHg" in svg
    assert "fill-opacity" not in charts_by_kind["weight"]
