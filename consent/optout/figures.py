"""What the opt-out campaigns give the national figures: oppositions a month."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from consent.optout.models import Notice, NoticeOutcome
from messpace.statistics.models import Period
from messpace.statistics.registry import Metric, register


def oppositions(start: dt.datetime, end: dt.datetime) -> float:
    return float(
        Notice.objects.filter(
            outcome=NoticeOutcome.OPPOSED, outcome_at__gte=start, outcome_at__lt=end
        ).count()
    )


def register_metrics() -> None:
    register(
        Metric(
            slug="oppositions",
            label=_("Oppositions"),
            period=Period.MONTH,
            count=oppositions,
            description=_("Personnes qui se sont opposées à l’ouverture de leur dossier."),
            order=80,
        )
    )
