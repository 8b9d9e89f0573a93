"""The campaigns' dashboard charts: server-side SVG, accessible, no JavaScript.

Each chart has a title, a description and, on the page, the data table it draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from consent.optout.selectors import CampaignFigures, WeekAnswers
from records.charts import COLOR_1, COLOR_2, GRID

# DSFR colours, each above 4.5:1 on white: blue-france, red-marianne, green (success).
COLOR_3 = "#18753c"
TEXT = "#3a3a3a"
# The chart shows the most recent weeks; the table beside it gives every week.
CHART_WEEKS = 26


def funnel_bars(figures: CampaignFigures) -> list[tuple[str, int]]:
    """The funnel's steps, in order, as (label, count)."""
    return [
        (_("Dossiers créés"), figures.created),
        (_("Avis envoyés"), figures.notified),
        (_("Oppositions"), figures.opposed),
        (_("Ouvertures anticipées en ligne"), figures.activated_online),
        (_("Ouvertures anticipées par l’assistance"), figures.activated_support),
        (_("Ouvertures automatiques"), figures.opened_auto),
        (_("En attente de la date d’ouverture"), figures.pending),
        (_("Dossiers ouverts (actifs ou fermés)"), figures.opened),
        (_("Dossiers ouverts utilisés"), figures.used),
        (_("Dossiers fermés ou supprimés"), figures.closed),
    ]


def _n(value: int) -> str:
    return number_format(value, decimal_pos=0, force_grouping=True)


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="ms-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false" style="max-width:100%;height:auto">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        # Its own white ground: the colours keep their contrast in the admin's dark theme.
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def funnel_chart(*, chart_id: str, title: str, bars: Sequence[tuple[str, int]]) -> str:
    """A horizontal bar chart: one labelled bar per step, its count at the end."""
    if not bars:
        return ""
    width, label_w, value_w, row_h, top = 720, 290, 70, 28, 8
    height = top * 2 + row_h * len(bars)
    longest = max(value for _label, value in bars) or 1
    plot_w = width - label_w - value_w
    description = " ; ".join(f"{label} : {_n(value)}" for label, value in bars) + "."
    parts = _svg_open(chart_id, width, height, title, description)
    for i, (label, value) in enumerate(bars):
        y = top + i * row_h
        bar_w = plot_w * value / longest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="13" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w:.1f}" height="{row_h - 8}" '
            f'fill="{COLOR_1}"/>'
        )
        parts.append(
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 18}" font-size="13" '
            f'fill="{TEXT}">{escape(_n(value))}</text>'
        )
    parts.append(
        f'<line x1="{label_w}" x2="{label_w}" y1="{top}" y2="{height - top}" stroke="{TEXT}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _tick_step(high: int) -> int:
    """A round step giving at most five intervals up to ``high``."""
    step = 1
    while high / step > 5:
        for factor in (2, 5, 10):
            if high / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step


def answers_chart(*, chart_id: str, title: str, weeks: Sequence[WeekAnswers]) -> str:
    """Grouped bars per week: oppositions, early activations, automatic openings."""
    shown = list(weeks)[-CHART_WEEKS:]
    if not shown:
        return ""
    series = (
        (_("Oppositions"), COLOR_2, "opposed"),
        (_("Ouvertures anticipées"), COLOR_1, "activated"),
        (_("Ouvertures automatiques"), COLOR_3, "opened"),
    )
    width, height = 720, 300
    left, right, top, bottom = 56, 16, 40, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    high = max(max(w.opposed, w.activated, w.opened) for w in shown) or 1
    step = _tick_step(high)
    y_max = max(step, -(-high // step) * step)
    group_w = plot_w / len(shown)
    bar_w = max(1.0, (group_w - 4) / 3)
    totals = [
        f"{label} : {_n(sum(getattr(w, attr) for w in shown))}" for label, _color, attr in series
    ]
    description = _("Réponses par semaine, du %(first)s au %(last)s ; au total : %(totals)s.") % {
        "first": shown[0].week.strftime("%d/%m/%Y"),
        "last": (shown[-1].week + dt.timedelta(days=6)).strftime("%d/%m/%Y"),
        "totals": ", ".join(totals),
    }
    parts = _svg_open(chart_id, width, height, title, description)
    for value in range(0, y_max + 1, step):
        y = top + plot_h * (1 - value / y_max)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(_n(value))}</text>'
        )
    label_every = max(1, -(-len(shown) // 8))
    for i, week in enumerate(shown):
        x0 = left + i * group_w + 2
        for j, (_label, color, attr) in enumerate(series):
            value = getattr(week, attr)
            bar_h = plot_h * value / y_max
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - bar_h:.1f}" '
                f'width="{max(bar_w - 1, 0.5):.1f}" height="{bar_h:.1f}" fill="{color}"/>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" font-size="12" fill="{TEXT}">'
                f"{week.week:%d/%m}</text>"
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}"/>'
    )
    for i, (label, color, _attr) in enumerate(series):
        lx = left + i * 210
        parts.append(f'<rect x="{lx}" y="10" width="12" height="12" fill="{color}"/>')
        parts.append(
            f'<text x="{lx + 18}" y="21" font-size="13" fill="{TEXT}">{escape(label)}</text>'
        )
    axis = _("semaine du (lundi)")
    parts.append(
        f'<text x="{width - right}" y="{height - 6}" text-anchor="end" font-size="12" '
        f'fill="{TEXT}">{escape(axis)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def dashboard_charts(
    *, figures: CampaignFigures, weeks: Sequence[WeekAnswers], one_campaign: bool
) -> dict[str, str]:
    """The two charts of a dashboard (``funnel_svg``, ``answers_svg``), for the admin's
    and the console's pages."""
    if one_campaign:
        funnel_title, answers_title = (
            _("Parcours des dossiers de la campagne"),
            _("Réponses par semaine"),
        )
    else:
        funnel_title = _("Parcours des dossiers, toutes campagnes")
        answers_title = _("Réponses par semaine, toutes campagnes")
    return {
        "funnel_svg": funnel_chart(
            chart_id="funnel", title=str(funnel_title), bars=funnel_bars(figures)
        ),
        "answers_svg": answers_chart(chart_id="answers", title=str(answers_title), weeks=weeks),
        "chart_weeks": str(CHART_WEEKS),
    }
