"""Accessible SVG charts drawn on the server.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``
summarising the data in words; templates put the data table beside it, so
screen-reader and keyboard users get every value without the drawing.
No JavaScript, no external library: the drawing is a few lines of geometry.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 260
# The unit sits above the plot, clear of the top tick's label.
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 28, 40
# The smallest span the vertical axis shows, per unit: 0.5 cm of height or a
# 300 g change of weight must not fill the chart like a cliff.
MIN_SPANS = {
    "kg": 4.0,
    "cm": 4.0,
    "bpm": 20.0,
    "mmHg": 40.0,
    "g/L": 0.4,
    "mmol/L": 2.0,
    "°C": 2.0,
    "%": 10.0,
    "kg/m²": 4.0,
    "pas": 2000.0,
}
# Date labels at least this far apart (SVG units), so that they never overlap.
MIN_LABEL_GAP = 90
# DSFR blue-france and red-marianne: contrast above 4.5:1 on white.
COLOR_1 = "#000091"
COLOR_2 = "#c9191e"
GRID = "#929292"
# Reference lines: a grey that keeps 5.7:1 on white, thinner than the curves.
REFERENCE = "#666666"
# Room at the right of the plot for the names of the reference lines.
PAD_RIGHT_REFERENCES = 52
# Names of reference lines at least this far apart vertically (SVG units).
LABEL_GAP = 11


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y)
    color: str = COLOR_1


@dataclass(frozen=True)
class ReferenceLine:
    """A reference curve drawn thin behind the data, without points.

    ``label`` names it at its right end (« +2 ET »); lines sharing a
    ``legend`` are named once in the legend, with a sample of their stroke.
    """

    label: str
    points: Sequence[tuple[float, float]]
    legend: str
    dashed: bool = True


@dataclass(frozen=True)
class Band:
    """A target range drawn behind the curves, named in the legend."""

    low: float
    high: float
    label: str
    color: str = COLOR_1


def _spread(ys: Sequence[float], *, gap: float) -> list[float]:
    """Move labels at heights ``ys`` (SVG units, in any order) at least ``gap``
    apart: labels that would overlap form a group centred on their own heights,
    the others stay where they are."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    groups: list[tuple[list[float], float]] = []  # (heights wanted, first label's height)
    for i in order:
        groups.append(([ys[i]], ys[i]))
        while len(groups) > 1:
            (above, top), (below, low) = groups[-2], groups[-1]
            if top + len(above) * gap <= low:
                break
            wanted = above + below
            groups[-2:] = [(wanted, sum(wanted) / len(wanted) - (len(wanted) - 1) * gap / 2)]
    placed = [top + k * gap for wanted, top in groups for k in range(len(wanted))]
    out = [0.0] * len(ys)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def _fmt(value: float, decimals: int) -> str:
    return number_format(round(value, decimals), decimals)


def nice_step(span: float, ticks: int = 4) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about ``ticks`` intervals
    over ``span``: 60, 80, 100, 120, not 61.3, 78.9…"""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power * (1 + 1e-9):
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def nice_axis(low: float, high: float, *, min_span: float = 0.0) -> tuple[float, float, float]:
    """(bottom, top, step) of an axis showing ``low``..``high``: bounds on round
    values, and at least ``min_span`` wide, centred on the data."""
    if high - low < min_span:
        middle = (low + high) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = nice_step(high - low)
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    if top == bottom:
        top = bottom + step
    return bottom, top, step


def _step_decimals(step: float, decimals: int) -> int:
    """Enough decimals to tell two ticks apart (2.5 needs one), never fewer than asked."""
    for places in range(0, 4):
        if abs(round(step, places) - step) < 1e-9:
            return max(decimals, places) if places else decimals
    return max(decimals, 3)


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    x_labels: Sequence[tuple[float, str]],
    unit: str,
    decimals: int = 0,
    bands: Sequence[Band] = (),
    references: Sequence[ReferenceLine] = (),
) -> str:
    """A line chart of one or more series sharing the axes, over its target bands
    and reference lines."""
    all_points = [p for s in series for p in s.points]
    if not all_points:
        return ""
    # The reference lines are in view too: the data is read against them.
    all_points += [p for line in references for p in line.points]
    pad_right = PAD_RIGHT_REFERENCES if references else PAD_RIGHT
    xs = [p[0] for p in all_points]
    ys = [p[1] for p in all_points]
    x0, x1 = min(xs), max(xs)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    # The bands are in view, so that a value is seen against its target.
    band_values = [v for band in bands for v in (band.low, band.high)]
    y0, y1, step = nice_axis(
        min([*ys, *band_values]), max([*ys, *band_values]), min_span=MIN_SPANS.get(unit, 0.0)
    )
    tick_decimals = _step_decimals(step, 0)
    plot_w = WIDTH - PAD_LEFT - pad_right
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def sx(x: float) -> float:
        return PAD_LEFT + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return PAD_TOP + (1 - (y - y0) / (y1 - y0)) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="ms-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for band in bands:
        top, bottom = sy(band.high), sy(band.low)
        parts.append(
            f'<rect x="{PAD_LEFT}" y="{top:.1f}" width="{plot_w}" '
            f'height="{bottom - top:.1f}" fill="{band.color}" fill-opacity="0.08"/>'
        )
    # Horizontal grid on round values, each labelled once.
    count = round((y1 - y0) / step)
    for i in range(count + 1):
        value = y0 + step * i
        y = sy(value)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - pad_right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#3a3a3a">{escape(_fmt(value, tick_decimals))}</text>'
        )
    parts.append(
        f'<text x="4" y="{PAD_TOP - 14}" font-size="11" fill="#3a3a3a">{escape(unit)}</text>'
    )
    for index, (x, label) in enumerate(x_labels):
        px = sx(x)
        # Edge labels are anchored inwards so they are not cut at the plot's sides.
        anchor = "middle"
        if px - PAD_LEFT < 30:
            anchor = "start"
        elif WIDTH - pad_right - px < 30 and index > 0:
            anchor = "end"
        parts.append(
            f'<text x="{px:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="{anchor}" '
            f'font-size="11" fill="#3a3a3a">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{PAD_LEFT}" x2="{WIDTH - pad_right}" y1="{HEIGHT - PAD_BOTTOM}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#3a3a3a"/>'
    )
    drawn = [line for line in references if line.points]
    for line in drawn:
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in line.points)
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{REFERENCE}" '
            f'stroke-width="{1 if line.dashed else 1.5}"{dash}/>'
        )
    label_ys = _spread([sy(line.points[-1][1]) for line in drawn], gap=LABEL_GAP)
    for line, label_y in zip(drawn, label_ys, strict=True):
        parts.append(
            f'<text x="{sx(line.points[-1][0]) + 4:.1f}" y="{label_y + 3:.1f}" font-size="10" '
            f'fill="{REFERENCE}">{escape(line.label)}</text>'
        )
    for s in series:
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        if len(s.points) > 1:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{s.color}" stroke-width="2"/>'
            )
        for x, y in s.points[-60:]:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{s.color}"/>')
    if len(series) > 1 or references:
        ly = HEIGHT - 8
        for i, s in enumerate(series):
            lx = PAD_LEFT + 10 + i * 160
            parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{s.color}"/>')
            parts.append(
                f'<text x="{lx + 14}" y="{ly}" font-size="11" fill="#3a3a3a">{escape(s.label)}</text>'
            )
        # One entry per kind of reference line, after the series.
        legends = dict.fromkeys((line.legend, line.dashed) for line in references if line.legend)
        # The solid line (the median) is named first.
        ordered = sorted(legends, key=lambda entry: entry[1])
        for i, (legend, dashed) in enumerate(ordered, start=len(series)):
            lx = PAD_LEFT + 10 + i * 160
            dash = ' stroke-dasharray="5 3"' if dashed else ""
            parts.append(
                f'<line x1="{lx}" x2="{lx + 16}" y1="{ly - 4}" y2="{ly - 4}" '
                f'stroke="{REFERENCE}" stroke-width="{1 if dashed else 1.5}"{dash}/>'
            )
            parts.append(
                f'<text x="{lx + 20}" y="{ly}" font-size="11" fill="#3a3a3a">{escape(legend)}</text>'
            )
    if bands:
        # Named above the plot, right-aligned: the legend of the shaded zones.
        legend = _("Zones cibles : %(bands)s") % {
            "bands": " · ".join(f"{band.label} {unit}" for band in bands)
        }
        parts.append(
            f'<text x="{WIDTH - pad_right}" y="{PAD_TOP - 14}" text-anchor="end" font-size="10" '
            f'fill="#3a3a3a">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def time_axis(points: Sequence[dt.datetime]) -> tuple[list[float], list[tuple[float, str]]]:
    """Convert datetimes to day numbers and choose up to 6 date labels.

    Labels are local dates: a measure taken at 00:30 in Paris is labelled
    with that day, not with the day before as its UTC time would say. They
    are spread over the time span, not over the points (a cluster of
    measures does not crowd them), never closer than ``MIN_LABEL_GAP`` on
    the chart, and a date is never written twice.
    """
    xs = [p.timestamp() / 86400 for p in points]
    if not xs:
        return xs, []
    span_days = xs[-1] - xs[0]
    fmt = "%d/%m/%Y" if span_days > 60 else "%d/%m"
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    min_gap = span_days * MIN_LABEL_GAP / plot_w if span_days else 0.0
    labels: list[tuple[float, str]] = []
    seen: set[str] = set()
    count = min(6, len(xs))
    for i in range(count):
        # The point nearest each of (up to) six evenly spaced moments.
        target = xs[0] + span_days * i / max(count - 1, 1)
        idx = min(range(len(xs)), key=lambda n: abs(xs[n] - target))
        text = timezone.localtime(points[idx]).strftime(fmt)
        if text in seen or (labels and xs[idx] - labels[-1][0] < min_gap):
            continue
        seen.add(text)
        labels.append((xs[idx], text))
    return xs, labels


def describe(
    values: Sequence[Decimal], unit: str, decimals: int, first: dt.date, last: dt.date
) -> str:
    low, high = min(values), max(values)
    return (
        f"{len(values)} valeur(s) du {first:%d/%m/%Y} au {last:%d/%m/%Y} ; "
        f"minimum {_fmt(float(low), decimals)} {unit}, maximum {_fmt(float(high), decimals)} {unit}, "
        f"dernière valeur {_fmt(float(values[-1]), decimals)} {unit}."
    )
