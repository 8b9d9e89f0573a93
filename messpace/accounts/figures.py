"""What accounts give the national figures: the days people sign in, and from
them the weekly connections and the share of people who come back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messpace.accounts.models import SIGN_IN_DAYS_KEPT, SignInDay
from messpace.statistics.models import Period
from messpace.statistics.registry import Metric, register, share


def sign_in_count(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: count the day once (a second sign-in the same day adds nothing)."""
    today = timezone.localdate()
    SignInDay.objects.bulk_create([SignInDay(user=user, day=today)], ignore_conflicts=True)


def sign_in_days_purge(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    deleted, _ = SignInDay.objects.filter(
        day__lt=today - dt.timedelta(days=SIGN_IN_DAYS_KEPT)
    ).delete()
    return deleted


def _people(start: dt.datetime, end: dt.datetime) -> Any:
    return SignInDay.objects.filter(day__gte=start.date(), day__lt=end.date())


def weekly_connections(start: dt.datetime, end: dt.datetime) -> float:
    """People who signed in during the week (each counted once)."""
    return float(_people(start, end).aggregate(n=Count("user", distinct=True))["n"])


def coming_back(start: dt.datetime, end: dt.datetime) -> float | None:
    """Of the people who signed in the month before, the share who signed in this month."""
    before = (start.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    previous = SignInDay.objects.filter(day__gte=before, day__lt=start.date()).values("user")
    came = (
        _people(start, end).filter(user__in=previous).aggregate(n=Count("user", distinct=True))["n"]
    )
    return share(came, previous.aggregate(n=Count("user", distinct=True))["n"])


def register_metrics() -> None:
    register(
        Metric(
            slug="weekly_connections",
            label=_("Connexions par semaine"),
            period=Period.WEEK,
            count=weekly_connections,
            description=_("Personnes connectées au moins une fois dans la semaine, tous rôles."),
            order=30,
        )
    )
    register(
        Metric(
            slug="coming_back",
            label=_("Part des personnes qui reviennent d’un mois sur l’autre"),
            period=Period.MONTH,
            count=coming_back,
            unit="percent",
            description=_(
                "Parmi les personnes connectées un mois, celles qui se connectent aussi le mois "
                "suivant."
            ),
            order=40,
        )
    )
