"""What the access log gives the national figures: how many records professionals
consult a month (from the log's rows: who, when, which record; never what)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from consent.models import AccessAction, AccessLog
from messpace.statistics.models import Period
from messpace.statistics.registry import Metric, register


def records_consulted(start: dt.datetime, end: dt.datetime) -> float:
    return float(
        AccessLog.objects.filter(
            at__gte=start, at__lt=end, role="professional", action=AccessAction.READ
        )
        .values("patient")
        .distinct()
        .count()
    )


def register_metrics() -> None:
    register(
        Metric(
            slug="records_consulted",
            label=_("Dossiers consultés par des professionnels"),
            period=Period.MONTH,
            count=records_consulted,
            description=_("Dossiers qu’au moins un professionnel a consultés dans le mois."),
            order=70,
        )
    )
