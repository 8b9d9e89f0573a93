"""The measures' charts read like a printed chart: round ticks, a sensible scale,
dates that neither repeat nor overlap, the unit clear of the ticks."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest

from records import charts

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("span", "step"),
    [(80, 20), (65, 20), (10, 2.5), (4, 1), (0.4, 0.1), (2000, 500), (7, 2)],
)
def test_steps_are_round(span: float, step: float) -> None:
    assert charts.nice_step(span) == pytest.approx(step)


def test_a_weight_axis_has_round_bounds_and_ticks() -> None:
    bottom, top, step = charts.nice_axis(61.3, 118.9, min_span=4)
    assert (bottom, top, step) == (60, 120, 20)


def test_half_a_centimetre_is_not_a_cliff() -> None:
    bottom, top, _step = charts.nice_axis(120.2, 120.7, min_span=charts.MIN_SPANS["cm"])
    assert top - bottom >= 4
    assert bottom <= 120.2 and top >= 120.7


def _tick_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="11" fill="#3a3a3a">([^<]+)</text>', svg)


def test_tick_labels_are_round_and_never_repeated() -> None:
    series = charts.Series("Taille", [(0.0, 120.2), (10.0, 120.4), (20.0, 120.7)])
    svg = charts.line_chart(
        chart_id="c",
        title="Taille",
        description="",
        series=[series],
        x_labels=[],
        unit="cm",
        decimals=1,
    )
    labels = _tick_labels(svg)
    assert len(labels) == len(set(labels)) >= 3
    assert all(re.fullmatch(r"\d+", label) for label in labels), labels
    # The unit is above the top tick's label.
    unit_y = float(re.search(r'<text x="4" y="([\d.]+)"[^>]*>cm</text>', svg).group(1))  # type: ignore[union-attr]
    top_tick_y = min(
        float(y) for y in re.findall(r'<text x="50" y="([\d.]+)" text-anchor="end"', svg)
    )
    assert unit_y < top_tick_y - 8


def test_date_labels_never_repeat_nor_crowd_a_cluster_of_measures() -> None:
    start = dt.datetime(2025, 1, 1, 9, tzinfo=PARIS)
    # Five measures the same day, then one a year later.
    points = [start + dt.timedelta(hours=n) for n in range(5)] + [start + dt.timedelta(days=365)]
    xs, labels = charts.time_axis(points)
    texts = [text for _x, text in labels]
    assert len(texts) == len(set(texts))
    assert texts[0] == "01/01/2025" and texts[-1] == "01/01/2026"
    plot_w = charts.WIDTH - charts.PAD_LEFT - charts.PAD_RIGHT
    span = xs[-1] - xs[0]
    gaps = [(b[0] - a[0]) / span * plot_w for a, b in itertools.pairwise(labels)]
    assert all(gap >= charts.MIN_LABEL_GAP for gap in gaps)
