"""The campaigns' dashboard: how many people each opt-out campaign reached, and
what became of their records. Reads only, for the admin pages.

Only counts leave this module, never a name, a NIR or an address. Every
figure is computed by PostgreSQL in a handful of aggregate queries
(conditional ``Count(..., filter=Q(...))`` grouped by campaign), so the page
costs the same few queries for a hundred records or ten million.

Definitions (also in ``docs/operations.md``):

- *created*: the records a campaign targeted (one notice each); for all
  campaigns together, every record ever created, targeted or not yet;
- *notified*: notices issued; the sendings are counted by channel (email,
  letter), with the emails that bounced (each replaced by a letter) and the
  letters that came back (NPAI, no further fallback);
- *opposed*, *activated early* (online or through the support service),
  *opened automatically*: the notice's answer (``Notice.outcome``), which
  stays what it was even if the record changes state later;
- *pending*: notified, no answer, waiting for the opening date;
- *closed*: records of the campaign now closed or deleted;
- *opened*: records of the campaign now active or closed; *used*: those of
  them whose patient has a login that has signed in at least once.

The SVG charts (accessible, no JavaScript) and the CSV export come last.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.db.models import Count, DateField, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from records.campaigns import (
    Campaign,
    CampaignState,
    DeliveryChannel,
    DeliveryState,
    Notice,
    NoticeDelivery,
    NoticeOutcome,
)
from records.charts import COLOR_1, COLOR_2, GRID
from records.models import Record, RecordState

__all__ = [
    "CHART_WEEKS",
    "CSV_COLUMNS",
    "CampaignDashboard",
    "CampaignFigures",
    "OverallDashboard",
    "WeekAnswers",
    "answers_chart",
    "campaign_dashboard",
    "dashboard_csv",
    "funnel_bars",
    "funnel_chart",
    "overall_dashboard",
]

OPENED_STATES = (RecordState.ACTIVE, RecordState.CLOSED)
CLOSED_STATES = (RecordState.CLOSED, RecordState.DELETED)


# --- Figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    """The counts of one campaign, or of all of them together (``campaign_id`` None)."""

    campaign_id: int | None
    name: str
    state: str  # the state's label ("Envoyée"…), empty for the total
    started_at: dt.datetime | None
    created: int
    to_issue: int  # notices not issued yet (a campaign still sending)
    notified: int
    emails: int
    emails_bounced: int  # each one replaced by a letter
    letters: int  # including the replacement letters
    letters_returned: int  # NPAI: no further fallback, support follows up
    opposed: int
    activated_online: int
    activated_support: int
    opened_auto: int
    pending: int
    closed: int
    opened: int
    used: int

    @property
    def activated_early(self) -> int:
        return self.activated_online + self.activated_support

    @property
    def used_percent(self) -> float | None:
        """Share of the opened records actually used, in percent (None if none opened)."""
        return 100 * self.used / self.opened if self.opened else None


@dataclass(frozen=True)
class WeekAnswers:
    """The answers given during one week (Monday, Paris time), by kind."""

    week: dt.date
    opposed: int
    activated: int
    opened: int


@dataclass(frozen=True)
class CampaignDashboard:
    figures: CampaignFigures
    weeks: list[WeekAnswers]


@dataclass(frozen=True)
class OverallDashboard:
    campaigns: list[CampaignFigures]  # newest first
    total: CampaignFigures
    weeks: list[WeekAnswers]


# The counted fields, in the dataclass's order (and the export's).
_COUNTS = (
    "created",
    "to_issue",
    "notified",
    "emails",
    "emails_bounced",
    "letters",
    "letters_returned",
    "opposed",
    "activated_online",
    "activated_support",
    "opened_auto",
    "pending",
    "closed",
    "opened",
    "used",
)


def _notice_counts(campaign_id: int | None) -> dict[int, dict[str, int]]:
    """Per campaign: the notices' and their records' counts, in one grouped query."""
    qs = Notice.objects.all()
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    rows = (
        qs.order_by()
        .values("campaign_id")
        .annotate(
            created=Count("pk"),
            to_issue=Count("pk", filter=Q(issued_at__isnull=True)),
            notified=Count("pk", filter=Q(issued_at__isnull=False)),
            opposed=Count("pk", filter=Q(outcome=NoticeOutcome.OPPOSED)),
            activated_online=Count(
                "pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY, outcome_by_support=False)
            ),
            activated_support=Count(
                "pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY, outcome_by_support=True)
            ),
            opened_auto=Count("pk", filter=Q(outcome=NoticeOutcome.OPENED)),
            pending=Count(
                "pk", filter=Q(issued_at__isnull=False, record__state=RecordState.NOTIFIED)
            ),
            closed=Count("pk", filter=Q(record__state__in=CLOSED_STATES)),
            opened=Count("pk", filter=Q(record__state__in=OPENED_STATES)),
            used=Count(
                "pk",
                filter=Q(
                    record__state__in=OPENED_STATES,
                    record__patient__user__last_login__isnull=False,
                ),
            ),
        )
    )
    return {row.pop("campaign_id"): row for row in rows}


def _delivery_counts(campaign_id: int | None) -> dict[int, dict[str, int]]:
    """Per campaign: the sendings by channel, bounced emails and returned letters."""
    qs = NoticeDelivery.objects.all()
    if campaign_id is not None:
        qs = qs.filter(notice__campaign_id=campaign_id)
    # Emails that left (or may have: claimed by a worker); not those still
    # waiting, nor those cancelled because the person answered first.
    email = Q(channel=DeliveryChannel.EMAIL) & ~Q(
        state__in=[DeliveryState.PENDING, DeliveryState.CANCELLED]
    )
    letter = Q(channel=DeliveryChannel.LETTER)
    bounced = Q(state=DeliveryState.BOUNCED)
    rows = (
        qs.order_by()
        .values("notice__campaign_id")
        .annotate(
            emails=Count("pk", filter=email),
            emails_bounced=Count("pk", filter=email & bounced),
            letters=Count("pk", filter=letter),
            letters_returned=Count("pk", filter=letter & bounced),
        )
    )
    return {row.pop("notice__campaign_id"): row for row in rows}


def _weeks(campaign_id: int | None) -> list[WeekAnswers]:
    """Answers per week of ``outcome_at`` (weeks start on Monday, Paris time), with
    the weeks without any answer in between filled with zeros."""
    qs = Notice.objects.exclude(outcome="").filter(outcome_at__isnull=False)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    rows = (
        qs.order_by()
        .annotate(week=Trunc("outcome_at", "week", output_field=DateField()))
        .values("week")
        .annotate(
            opposed=Count("pk", filter=Q(outcome=NoticeOutcome.OPPOSED)),
            activated=Count("pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY)),
            opened=Count("pk", filter=Q(outcome=NoticeOutcome.OPENED)),
        )
        .order_by("week")
    )
    found = {row["week"]: row for row in rows}
    if not found:
        return []
    weeks = []
    week, last = min(found), max(found)
    while week <= last:
        row = found.get(week, {})
        weeks.append(
            WeekAnswers(
                week=week,
                opposed=row.get("opposed", 0),
                activated=row.get("activated", 0),
                opened=row.get("opened", 0),
            )
        )
        week += dt.timedelta(days=7)
    return weeks


def _figures(
    campaign: Mapping[str, Any], notices: dict[str, int], deliveries: dict[str, int]
) -> CampaignFigures:
    found = {**notices, **deliveries}
    state = campaign["state"]
    return CampaignFigures(
        campaign_id=campaign["pk"],
        name=campaign["name"],
        state=str(CampaignState(state).label) if state in CampaignState.values else state,
        started_at=campaign["started_at"],
        **{name: found.get(name, 0) for name in _COUNTS},
    )


def campaign_dashboard(*, campaign_id: int) -> CampaignDashboard:
    """The figures of one campaign and its answers per week (four queries).

    Raises ``Campaign.DoesNotExist`` for an unknown campaign.
    """
    campaign = Campaign.objects.values("pk", "name", "state", "started_at").get(pk=campaign_id)
    notices = _notice_counts(campaign_id).get(campaign_id, {})
    deliveries = _delivery_counts(campaign_id).get(campaign_id, {})
    return CampaignDashboard(
        figures=_figures(campaign, notices, deliveries), weeks=_weeks(campaign_id)
    )


def overall_dashboard() -> OverallDashboard:
    """Every campaign's figures, their total and the answers per week (five queries).

    The total adds up the campaigns' rows, except *created*: every record ever
    created, including those no campaign has targeted yet.
    """
    campaigns = list(
        Campaign.objects.order_by("-created_at", "-pk").values("pk", "name", "state", "started_at")
    )
    notices = _notice_counts(None)
    deliveries = _delivery_counts(None)
    rows = [_figures(c, notices.get(c["pk"], {}), deliveries.get(c["pk"], {})) for c in campaigns]
    sums = {name: sum(getattr(row, name) for row in rows) for name in _COUNTS}
    sums["created"] = Record.objects.count()
    total = CampaignFigures(
        campaign_id=None, name=_("Toutes les campagnes"), state="", started_at=None, **sums
    )
    return OverallDashboard(campaigns=rows, total=total, weeks=_weeks(None))


# --- Charts (server-side SVG, no JavaScript) ------------------------------------------------------

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


# --- CSV export ----------------------------------------------------------------------------------

# Fixed French names: spreadsheets and scripts read these columns by name,
# whatever the language of the admin who exports.
CSV_COLUMNS = (
    "Campagne",
    "État",
    "Démarrée le",
    "Dossiers créés",
    "Avis à émettre",
    "Avis envoyés",
    "Courriels",
    "Courriels non distribués remplacés par un courrier",
    "Courriers",
    "Courriers revenus (NPAI)",
    "Oppositions",
    "Ouvertures anticipées en ligne",
    "Ouvertures anticipées par l’assistance",
    "Ouvertures automatiques",
    "En attente d’ouverture",
    "Dossiers fermés ou supprimés",
    "Dossiers ouverts",
    "Dossiers ouverts utilisés",
    "Part utilisée (%)",
)
CSV_DELIMITER = ";"  # what Excel expects in a French locale
# A cell starting with one of these would run as a formula in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_row(row: CampaignFigures, name: str) -> list[str]:
    percent = row.used_percent
    return [
        _cell(name),
        _cell(row.state),
        timezone.localdate(row.started_at).strftime("%d/%m/%Y") if row.started_at else "",
        *(str(getattr(row, count)) for count in _COUNTS),
        f"{percent:.1f}".replace(".", ",") if percent is not None else "",
    ]


def dashboard_csv(*, campaigns: Iterable[CampaignFigures], total: CampaignFigures) -> bytes:
    """One row per campaign and a total row, for Excel in France: ``;`` between
    cells, UTF-8 with a BOM, decimal comma; a name that a spreadsheet would run
    as a formula is prefixed with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in campaigns:
        writer.writerow(_csv_row(row, row.name))
    writer.writerow(_csv_row(total, "Total"))
    return buffer.getvalue().encode("utf-8-sig")
