"""Reads of the national figures, for the console: the table only, one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from messpace.statistics.models import NationalFigure
from messpace.statistics.registry import Metric, metrics


@dataclass
class Series:
    metric: Metric
    points: list[tuple[dt.date, float | None]] = field(default_factory=list)

    @property
    def latest(self) -> float | None:
        return self.points[-1][1] if self.points else None


@dataclass(frozen=True)
class Figures:
    series: list[Series]
    computed_at: dt.datetime | None


def national_figures() -> Figures:
    """Every registered metric with the values computed, oldest first."""
    by_slug = {metric.slug: Series(metric) for metric in metrics()}
    computed_at = None
    for slug, starts_on, value, at in NationalFigure.objects.filter(
        metric__in=list(by_slug)
    ).values_list("metric", "starts_on", "value", "computed_at"):
        by_slug[slug].points.append((starts_on, value))
        computed_at = at if computed_at is None or at > computed_at else computed_at
    return Figures(series=list(by_slug.values()), computed_at=computed_at)
