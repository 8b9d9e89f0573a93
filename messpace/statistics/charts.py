"""Server-drawn bar charts of a series (SVG, no JavaScript): nice ticks (1, 2 or 5
times a power of ten), a label every few bars so dates never overlap, the
title and a description for screen readers; the page gives the same values
in a table beside each chart."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from django.utils.formats import date_format, number_format

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 36
BAR = "#000091"  # DSFR blue France
GRID = "#dddddd"


def nice_step(high: float, ticks: int = 4) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about ``ticks`` intervals up to
    ``high`` (at least 1)."""
    if high <= 0:
        return 1.0
    raw = high / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1.0, factor * power)
    return max(1.0, 10 * power)  # pragma: no cover - the loop always returns


def _label(day: dt.date, weekly: bool) -> str:
    return date_format(day, "d/m" if weekly else "M Y")


def bar_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[dt.date, float | None]],
    weekly: bool,
    percent: bool,
) -> str:
    values = [value or 0 for _, value in points]
    high = 100.0 if percent else max([*values, 0])
    step = nice_step(high)
    top = 100.0 if percent else step * max(1, math.ceil(high / step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'class="ms-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_description(points, weekly, percent))}</desc>',
    ]
    tick = 0.0
    while tick <= top + 1e-9:
        y = TOP + plot_h - plot_h * tick / top
        text = number_format(tick, decimal_pos=0, use_l10n=True, force_grouping=True)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{text}{' %' if percent else ''}</text>"
        )
        tick += step if not percent else 25
    if points:
        slot = plot_w / len(points)
        every = max(1, math.ceil(len(points) / 8))
        for n, (day, value) in enumerate(points):
            x = LEFT + n * slot
            height = plot_h * (value or 0) / top
            parts.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - height:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{height:.1f}" fill="{BAR}"/>'
            )
            if n % every == 0:
                parts.append(
                    f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                    f'text-anchor="middle" font-size="11">{escape(_label(day, weekly))}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _description(
    points: Sequence[tuple[dt.date, float | None]], weekly: bool, percent: bool
) -> str:
    if not points:
        return ""
    first, last = points[0][0], points[-1][0]
    latest = points[-1][1]
    value = "—" if latest is None else number_format(latest, decimal_pos=1 if percent else 0)
    return f"{_label(first, weekly)} – {_label(last, weekly)} : {value}{' %' if percent else ''}"
