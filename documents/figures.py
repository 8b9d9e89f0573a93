"""What documents give the national figures: deposits a month, the share by
professionals, and how many professionals deposit. Counted from the
documents' dates and authors, never their content."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from messpace.statistics.models import Period
from messpace.statistics.registry import Metric, register, share
from records.models import AuthorKind


def _deposited(start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    return Document.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        total=Count("pk"),
        by_professionals=Count("pk", filter=Q(author_kind=AuthorKind.PROFESSIONAL)),
        professionals=Count("author", filter=Q(author_kind=AuthorKind.PROFESSIONAL), distinct=True),
    )


def documents_deposited(start: dt.datetime, end: dt.datetime) -> float:
    return float(_deposited(start, end)["total"])


def share_by_professionals(start: dt.datetime, end: dt.datetime) -> float | None:
    counts = _deposited(start, end)
    return share(counts["by_professionals"], counts["total"])


def professionals_depositing(start: dt.datetime, end: dt.datetime) -> float:
    return float(_deposited(start, end)["professionals"])


def register_metrics() -> None:
    register(
        Metric(
            slug="documents_deposited",
            label=_("Documents déposés par mois"),
            period=Period.MONTH,
            count=documents_deposited,
            description=_("Documents ajoutés aux dossiers (toutes versions), par tous."),
            order=50,
        )
    )
    register(
        Metric(
            slug="documents_by_professionals",
            label=_("Part des documents déposés par des professionnels"),
            period=Period.MONTH,
            count=share_by_professionals,
            unit="percent",
            order=55,
        )
    )
    register(
        Metric(
            slug="professionals_depositing",
            label=_("Professionnels qui déposent"),
            period=Period.MONTH,
            count=professionals_depositing,
            description=_("Professionnels ayant déposé au moins un document dans le mois."),
            order=60,
        )
    )
