"""Reference growth curves (WHO) on children's growth charts.

The expected values are the WHO's published z-score tables (rounded to one
decimal as the WHO prints them): Child Growth Standards, length-for-age boys
and weight-for-age girls at 12 months, head circumference-for-age boys at
birth; Growth Reference 2007, height-for-age boys at 10 years (120 months).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from messpace.accounts.models import User
from records import charts, growth
from records.models import Entry, Measure, MeasureKind, Patient
from records.views.common import Chart
from tests.factories import PatientUserFactory

PARIS = ZoneInfo("Europe/Paris")
MEASURES_URL = "records:section_list"


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=PARIS)


# --- The tables and the LMS formula ---


@pytest.mark.parametrize(
    ("sex", "kind", "days", "expected"),
    [
        # WHO length-for-age, boys, 12 months: −2, −1, 0, +1, +2 SD.
        ("M", MeasureKind.HEIGHT, 365, (71.0, 73.4, 75.7, 78.1, 80.5)),
        # WHO weight-for-age, girls, 12 months (L ≠ 1: a skewed distribution).
        ("F", MeasureKind.WEIGHT, 365, (7.0, 7.9, 8.9, 10.1, 11.5)),
        # WHO head circumference-for-age, boys, at birth.
        ("M", MeasureKind.HEAD_CIRCUMFERENCE, 0, (31.9, 33.2, 34.5, 35.7, 37.0)),
        # WHO 2007 height-for-age, boys, 10 years (table by month).
        ("M", MeasureKind.HEIGHT, 120 * growth.DAYS_PER_MONTH, (125.0, 131.4, 137.8, 144.2, 150.5)),
    ],
)
def test_lms_formula_reproduces_the_who_published_tables(
    sex: str, kind: str, days: float, expected: tuple[float, ...]
) -> None:
    lms = growth.lms_at(sex=sex, kind=kind, days=days)

    assert lms is not None
    assert tuple(round(lms.value(z), 1) for z in growth.Z_LINES) == expected


def test_a_tabulated_age_gives_the_table_row_itself() -> None:
    """GIVEN the WHO table row for boys' length at day 365 (1, 75.7391, 0.03137)
    THEN it is returned as it is, not interpolated."""
    assert growth.lms_at(sex="M", kind=MeasureKind.HEIGHT, days=365) == growth.LMS(
        1.0, 75.7391, 0.03137
    )


def test_ages_between_rows_are_interpolated_linearly() -> None:
    # 12 months are 365.25 days: a quarter of the way from day 365 (75.7391)
    # to day 366 (75.7781), the WHO's monthly table's 75.7488.
    lms = growth.lms_at(sex="M", kind=MeasureKind.HEIGHT, days=365.25)

    assert lms is not None
    assert lms.m == pytest.approx(75.7391 + 0.25 * (75.7781 - 75.7391))
    assert round(lms.m, 4) == 75.7488


@pytest.mark.parametrize("z", [-2.5, -1.3, 0.0, 0.7, 2.2])
def test_the_z_score_is_the_inverse_of_the_lines(z: float) -> None:
    lms = growth.lms_at(sex="F", kind=MeasureKind.WEIGHT, days=700)
    assert lms is not None

    assert growth.zscore(
        sex="F", kind=MeasureKind.WEIGHT, age=700 / growth.DAYS_PER_YEAR, value=lms.value(z)
    ) == pytest.approx(z)


def test_each_kind_is_covered_only_where_the_who_publishes_it() -> None:
    assert growth.coverage(MeasureKind.HEIGHT) == pytest.approx((0, 19))
    assert growth.coverage(MeasureKind.WEIGHT) == pytest.approx((0, 10))
    assert growth.coverage(MeasureKind.HEAD_CIRCUMFERENCE) == pytest.approx((0, 5), abs=0.001)
    assert growth.coverage(MeasureKind.BLOOD_PRESSURE) is None
    assert growth.lms_at(sex="M", kind=MeasureKind.HEIGHT, days=30 * 365.25) is None
    assert growth.zscore(sex="F", kind=MeasureKind.HEAD_CIRCUMFERENCE, age=6, value=50) is None


def test_curves_are_clipped_to_the_ages_the_reference_covers() -> None:
    reference = growth.reference_curves(sex="M", kind=MeasureKind.WEIGHT, age_from=8.4, age_to=10.3)

    assert reference is not None
    assert (reference.age_from, reference.age_to) == (8.4, pytest.approx(10.0))
    assert reference.sources == (growth.WHO_2007,)
    assert [curve.z for curve in reference.curves] == [-2, -1, 0, 1, 2]
    for curve in reference.curves:
        assert all(8.4 <= age <= 10.0 + 1e-9 for age, _value in curve.points)
    # The lines are in order, −2 SD below the median below +2 SD, at every age.
    for points in zip(*(curve.points for curve in reference.curves), strict=True):
        assert [value for _age, value in points] == sorted(value for _age, value in points)


def test_curves_across_five_years_name_both_sources() -> None:
    reference = growth.reference_curves(sex="F", kind=MeasureKind.HEIGHT, age_from=4, age_to=6)

    assert reference is not None
    assert reference.sources == (growth.WHO_2006, growth.WHO_2007)


@pytest.mark.parametrize(
    ("kind", "age_from", "age_to"),
    [
        (MeasureKind.HEAD_CIRCUMFERENCE, 8, 10),
        (MeasureKind.WEIGHT, 12, 14),
        (MeasureKind.HEIGHT, 20, 30),
        (MeasureKind.TEMPERATURE, 1, 2),
    ],
)
def test_no_curves_outside_the_reference(kind: str, age_from: float, age_to: float) -> None:
    assert growth.reference_curves(sex="M", kind=kind, age_from=age_from, age_to=age_to) is None


@pytest.mark.parametrize(
    ("z", "words"),
    [
        (-2.3, "en dessous de −2 écarts types"),
        (-1.5, "entre −2 et −1 écart type"),
        (-0.05, "entre −1 écart type et la médiane"),
        (0.0, "entre la médiane et +1 écart type"),
        (1.99, "entre +1 et +2 écarts types"),
        (3.4, "au-dessus de +2 écarts types"),
    ],
)
def test_position_says_between_which_lines_a_measure_lies(z: float, words: str) -> None:
    assert growth.position(z) == words


# --- The drawing ---


def test_reference_lines_are_drawn_thin_behind_the_data_and_named() -> None:
    svg = charts.line_chart(
        chart_id="growth-height",
        title="Taille selon l’âge",
        description="…",
        series=[charts.Series("Taille", [(8.0, 128.0), (10.0, 139.0)])],
        x_labels=[(9.0, "9 ans")],
        unit="cm",
        references=[
            charts.ReferenceLine("+2 ET", [(8.0, 140.0), (10.0, 150.0)], "écarts types"),
            charts.ReferenceLine("médiane", [(8.0, 127.0), (10.0, 138.0)], "médiane", False),
            charts.ReferenceLine("−2 ET", [(8.0, 115.0), (10.0, 125.0)], "écarts types"),
        ],
    )

    lines = re.findall(r'<polyline[^>]*stroke="#666666"[^>]*/>', svg)
    assert len(lines) == 3
    assert sum('stroke-dasharray="5 3"' in line for line in lines) == 2
    # Behind the child's curve, which is drawn last.
    assert svg.index('stroke="#666666"') < svg.index(f'stroke="{charts.COLOR_1}"')
    for label in ("+2 ET", "médiane", "−2 ET"):
        assert f">{label}</text>" in svg
    # One legend entry per kind of line, after the child's.
    assert svg.count(">écarts types</text>") == 1
    assert svg.count(">médiane</text>") == 2  # the line's end and the legend
    assert ">Taille</text>" in svg
    # The axis spans the reference lines, not only the child's values.
    ticks = [
        float(t)
        for t in re.findall(r'text-anchor="end" font-size="11" fill="#3a3a3a">([\d ,]+)<', svg)
    ]
    assert min(ticks) <= 115 and max(ticks) >= 150


# --- Children's growth charts ---


@pytest.fixture
def measure(entry_for: Callable[..., Entry]) -> Callable[..., Entry]:
    def add(patient: Patient, kind: str, value: str, day: dt.date) -> Entry:
        return entry_for(patient, Measure, kind=kind, value=Decimal(value), measured_at=at(day))

    return add


@pytest.fixture
def leo(db: None, measure: Callable[..., Entry]) -> Patient:
    """A boy of ten (born 15 January 2014) measured from age 8."""
    child = PatientUserFactory(given_names="Léo", sex="M", birth_date=dt.date(2014, 1, 15))
    for day, height, weight, head in [
        (dt.date(2022, 6, 1), "128", "26", "52"),
        (dt.date(2023, 6, 1), "134", "29", "52.5"),
        (dt.date(2024, 5, 1), "139", "32.5", "53"),
    ]:
        measure(child, MeasureKind.HEIGHT, height, day)
        measure(child, MeasureKind.WEIGHT, weight, day)
        measure(child, MeasureKind.HEAD_CIRCUMFERENCE, head, day)
    return child


@pytest.fixture
def leo_client(client: Client, leo: Patient, login: Callable[[Client, User], Client]) -> Client:
    assert leo.user is not None
    return login(client, leo.user)


def _charts(client: Client) -> dict[str, Chart]:
    response = client.get(reverse(MEASURES_URL, args=["mesures"]))
    assert response.status_code == 200
    return {c.kind: c for c in response.context["charts"]}


def _desc(svg: str, chart_id: str) -> str:
    found = re.search(rf'<desc id="{chart_id}-desc">([^<]*)</desc>', svg)
    assert found is not None
    return found.group(1)


def test_child_height_chart_draws_the_who_curves_and_cites_them(leo_client: Client) -> None:
    response = leo_client.get(reverse(MEASURES_URL, args=["mesures"]))

    chart = {c.kind: c for c in response.context["charts"]}["height"]
    assert chart.svg.count('<polyline points="') == 6  # five reference lines and Léo's
    for label in ("+2 ET", "+1 ET", "médiane", "−1 ET", "−2 ET"):
        assert f">{label}</text>" in chart.svg
    assert ">Médiane (OMS)</text>" in chart.svg
    assert ">±1 et ±2 écarts types (ET)</text>" in chart.svg
    assert chart.sources == [
        (
            "OMS, référence de croissance de 5 à 19 ans (WHO Growth Reference 2007)",
            "https://www.who.int/tools/growth-reference-data-for-5to19-years",
        )
    ]
    html = response.content.decode()
    assert (
        'Source : <a href="https://www.who.int/tools/growth-reference-data-for-5to19-years">'
        "OMS, référence de croissance de 5 à 19 ans (WHO Growth Reference 2007)</a>."
    ) in html
    assert "(AFPA–CRESS/Inserm–CompuGroup Medical 2018) ne sont pas reprises ici." in html
    # The data table is still there.
    assert chart.rows[0] == ("10,3 ans", "139,0 cm")


def test_the_description_says_where_the_last_measure_lies(leo_client: Client) -> None:
    """GIVEN Léo, 139 cm at 3,759 days (123.5 months): the WHO 2007 boys' table
    gives, halfway between 123 months (L 1, M 139.0797, S 0.04647) and 124
    months (L 1, M 139.5158, S 0.04654), M ≈ 139.297 and S ≈ 0.0465, so
    z = (139 / 139.297 − 1) / 0.0465 ≈ −0.05
    THEN the chart says he is between −1 SD and the median."""
    desc = _desc(_charts(leo_client)["height"].svg, "growth-height")

    assert "Courbes de référence de l’OMS : médiane, ±1 et ±2 écarts types." in desc
    assert "Dernière mesure, à 10,3 ans : entre −1 écart type et la médiane." in desc


def test_weight_curves_stop_at_ten_years_and_say_so(leo_client: Client) -> None:
    chart = _charts(leo_client)["weight"]
    desc = _desc(chart.svg, "growth-weight")

    assert "Elles s’arrêtent à 10 ans, où s’arrêtent les données de référence." in desc
    # Léo's last weight, at 10.3 years, has no reference: no position is said.
    assert "Dernière mesure" not in desc
    assert chart.svg.count('<polyline points="') == 6


def test_head_circumference_after_five_years_has_no_reference(leo_client: Client) -> None:
    response = leo_client.get(reverse(MEASURES_URL, args=["mesures"]))

    chart = {c.kind: c for c in response.context["charts"]}["head_circumference"]
    note = "Pas de courbe de référence à ces âges : celles de l’OMS s’arrêtent à 5 ans."
    assert note in _desc(chart.svg, "growth-head_circumference")
    assert chart.sources == []
    assert 'stroke="#666666"' not in chart.svg
    assert "ET</text>" not in chart.svg
    assert note in response.content.decode()


def test_a_girl_is_drawn_against_the_girls_table(
    db: None, client: Client, measure: Callable[..., Entry], login: Callable[[Client, User], Client]
) -> None:
    """GIVEN a girl weighed once, 8.9 kg at 365 days
    WHEN her chart is drawn against the WHO girls' table (M 8.9462 kg at 365 days)
    THEN she is said to lie just below the median, and the curves come from
    the Child Growth Standards."""
    girl = PatientUserFactory(given_names="Jeanne", sex="F", birth_date=dt.date(2023, 5, 31))
    measure(girl, MeasureKind.WEIGHT, "8.9", dt.date(2024, 5, 30))
    assert girl.user is not None
    chart = _charts(login(client, girl.user))["weight"]
    svg = chart.svg

    desc = _desc(svg, "growth-weight")
    assert "Dernière mesure, à 1,0 an : entre −1 écart type et la médiane." in desc
    assert [url for _label, url in chart.sources] == [
        "https://www.who.int/tools/child-growth-standards"
    ]
    # A lone measure still gets lines half a year long around it.
    assert svg.count('<polyline points="') == 5


def test_an_adult_gets_no_reference_curve(
    alice: Patient, alice_client: Client, measure: Callable[..., Entry]
) -> None:
    measure(alice, MeasureKind.HEIGHT, "165", dt.date(2024, 3, 1))
    measure(alice, MeasureKind.WEIGHT, "60", dt.date(2024, 3, 1))

    response = alice_client.get(reverse(MEASURES_URL, args=["mesures"]))

    for chart in response.context["charts"]:
        assert chart.sources == []
        assert chart.note == ""
        assert 'stroke="#666666"' not in chart.svg
    assert "OMS" not in response.content.decode()
