"""Computing the national figures: every registered metric for the last periods,
written to ``NationalFigure`` (the nightly task; also ``manage.py
figures_refresh``).

Each night computes the current period (the figures so far) and the one
before (so that late rows, a deposit resumed after an outage, still count),
and any period of the window not yet in the table (the first run fills
them all). Older figures are then kept as published: purging old sign-in
days or erasing a record does not rewrite last year's figures. Every count
is a range scan on an indexed date.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messpace.statistics.models import NationalFigure, Period
from messpace.statistics.registry import metrics

MONTHS_KEPT = 13
WEEKS_KEPT = 27


def month_starts(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months up to ``today``'s, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def week_starts(today: dt.date, count: int) -> list[dt.date]:
    """The Mondays of the ``count`` weeks up to ``today``'s, oldest first."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def period_end(period: str, start: dt.date) -> dt.date:
    if period == Period.WEEK:
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _at_midnight(day: dt.date) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def figures_refresh(*, today: dt.date | None = None, recompute: int = 2) -> int:
    """Compute every metric for the last ``recompute`` periods up to ``today`` and for
    the periods of the last ``MONTHS_KEPT`` months or ``WEEKS_KEPT`` weeks not yet
    computed; returns how many figures were written."""
    today = today or timezone.localdate()
    now = timezone.now()
    done = set(NationalFigure.objects.values_list("metric", "starts_on"))
    rows = []
    for metric in metrics():
        window = (
            week_starts(today, WEEKS_KEPT)
            if metric.period == Period.WEEK
            else month_starts(today, MONTHS_KEPT)
        )
        starts = [
            start
            for n, start in enumerate(window)
            if n >= len(window) - recompute or (metric.slug, start) not in done
        ]
        for start in starts:
            value = metric.count(
                _at_midnight(start), _at_midnight(period_end(metric.period, start))
            )
            rows.append(
                NationalFigure(
                    metric=metric.slug,
                    period=metric.period,
                    starts_on=start,
                    value=value,
                    computed_at=now,
                )
            )
    with transaction.atomic():
        NationalFigure.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["metric", "period", "starts_on"],
            update_fields=["value", "computed_at"],
        )
    return len(rows)
