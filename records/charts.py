"""Accessible SVG charts drawn on the server.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``
summarising the data in words; templates put the data table beside it, so
screen-reader and keyboard users get every value without the drawing.
No JavaScript, no external library: the drawing is a few lines of geometry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils import timezone
from django.utils.formats import number_format

WIDTH, HEIGHT = 640, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 40
# DSFR blue-france and red-marianne: contrast above 4.5:1 on white.
COLOR_1 = "#000091"
COLOR_2 = "#c9191e"
GRID = "#929292"


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (x, y)
    color: str = COLOR_1


def _fmt(value: float, decimals: int) -> str:
    return number_format(round(value, decimals), decimals)


def _nice_bounds(low: float, high: float) -> tuple[float, float]:
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.1
    return low - pad, high + pad


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    x_labels: Sequence[tuple[float, str]],
    unit: str,
    decimals: int = 0,
) -> str:
    """A line chart of one or more series sharing the axes."""
    all_points = [p for s in series for p in s.points]
    if not all_points:
        return ""
    xs = [p[0] for p in all_points]
    ys = [p[1] for p in all_points]
    x0, x1 = min(xs), max(xs)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    y0, y1 = _nice_bounds(min(ys), max(ys))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
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
    # Horizontal grid with 5 labelled ticks.
    for i in range(5):
        value = y0 + (y1 - y0) * i / 4
        y = sy(value)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#3a3a3a">{escape(_fmt(value, decimals))}</text>'
        )
    parts.append(
        f'<text x="4" y="{PAD_TOP - 4}" font-size="11" fill="#3a3a3a">{escape(unit)}</text>'
    )
    for index, (x, label) in enumerate(x_labels):
        px = sx(x)
        # Edge labels are anchored inwards so they are not cut at the plot's sides.
        anchor = "middle"
        if px - PAD_LEFT < 30:
            anchor = "start"
        elif WIDTH - PAD_RIGHT - px < 30 and index > 0:
            anchor = "end"
        parts.append(
            f'<text x="{px:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="{anchor}" '
            f'font-size="11" fill="#3a3a3a">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{HEIGHT - PAD_BOTTOM}" '
        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#3a3a3a"/>'
    )
    for s in series:
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        if len(s.points) > 1:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{s.color}" stroke-width="2"/>'
            )
        for x, y in s.points[-60:]:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{s.color}"/>')
    if len(series) > 1:
        for i, s in enumerate(series):
            lx = PAD_LEFT + 10 + i * 160
            ly = HEIGHT - 8
            parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{s.color}"/>')
            parts.append(
                f'<text x="{lx + 14}" y="{ly}" font-size="11" fill="#3a3a3a">{escape(s.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def time_axis(points: Sequence[dt.datetime]) -> tuple[list[float], list[tuple[float, str]]]:
    """Convert datetimes to day numbers and choose up to 6 date labels.

    Labels are local dates: a measure taken at 00:30 in Paris is labelled
    with that day, not with the day before as its UTC time would say.
    """
    xs = [p.timestamp() / 86400 for p in points]
    if not xs:
        return xs, []
    count = min(6, len(xs))
    labels = []
    span_days = xs[-1] - xs[0]
    fmt = "%d/%m/%Y" if span_days > 60 else "%d/%m"
    for i in range(count):
        idx = round(i * (len(xs) - 1) / max(count - 1, 1))
        labels.append((xs[idx], timezone.localtime(points[idx]).strftime(fmt)))
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
