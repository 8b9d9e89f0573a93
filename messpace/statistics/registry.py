"""The metrics apps register: what each counts, over which periods, in which unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from messpace.statistics.models import Period

# (start, end) of the period, aware datetimes, end excluded → the figure.
Count = Callable[[dt.datetime, dt.datetime], float | None]


@dataclass(frozen=True)
class Metric:
    slug: str
    label: str | Promise
    period: Period
    count: Count
    # "count" or "percent".
    unit: str = "count"
    description: str | Promise = ""
    order: int = 100


_METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> None:
    _METRICS[metric.slug] = metric


def metrics() -> list[Metric]:
    return sorted(_METRICS.values(), key=lambda m: (m.order, m.slug))


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``; None for a share of nobody."""
    return round(100 * part / whole, 1) if whole else None
