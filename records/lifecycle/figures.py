"""What the record's lifecycle gives the national figures: records created, the
share ever opened, closures. Counted from the records' dates and transitions."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from messpace.statistics.models import Period
from messpace.statistics.registry import Metric, register, share
from records.lifecycle.models import Record, RecordClosure


def records_created(start: dt.datetime, end: dt.datetime) -> float:
    return float(Record.objects.filter(created_at__gte=start, created_at__lt=end).count())


def share_activated(start: dt.datetime, end: dt.datetime) -> float | None:
    """Of the records created by the end of the month, the share whose holder had
    activated their space by then (opened an account: the record itself opens on
    its own after the opt-out delay, which says nothing of use)."""
    created = Record.objects.filter(created_at__lt=end)
    activated = created.filter(patient__user__date_joined__lt=end)
    return share(activated.count(), created.count())


def closures(start: dt.datetime, end: dt.datetime) -> float:
    return float(RecordClosure.objects.filter(closed_at__gte=start, closed_at__lt=end).count())


def register_metrics() -> None:
    register(
        Metric(
            slug="records_created",
            label=_("Dossiers créés"),
            period=Period.MONTH,
            count=records_created,
            description=_("Dossiers créés dans le mois, par les campagnes ou à l’inscription."),
            order=10,
        )
    )
    register(
        Metric(
            slug="share_activated",
            label=_("Part des dossiers activés"),
            period=Period.MONTH,
            count=share_activated,
            unit="percent",
            description=_(
                "À la fin du mois, part des dossiers créés depuis le début dont le titulaire a "
                "activé son espace (ouvert son compte)."
            ),
            order=20,
        )
    )
    register(
        Metric(
            slug="closures",
            label=_("Fermetures de dossiers"),
            period=Period.MONTH,
            count=closures,
            description=_("Dossiers fermés par leur titulaire (ou son représentant) dans le mois."),
            order=90,
        )
    )
