"""The demo's national figures: a few months of sign-ins by the demo accounts (the
days only, as the portal records them), then the nightly computation, so that
the console's *Chiffres nationaux* has something to show."""

from __future__ import annotations

import datetime as dt

from messpace.accounts.models import SignInDay, User
from messpace.statistics.services import figures_refresh
from records.management.demo.base import ACCOUNTS, Seeder, seeded_rng


def seed_figures(s: Seeder) -> None:
    rng = seeded_rng("sign-ins")
    emails = [account.email for account in ACCOUNTS]
    users = list(User.objects.filter(email__in=emails).order_by("email"))
    days = []
    for user in users:
        # Each account signs in on some days of the last twelve weeks.
        for back in range(84):
            if rng.random() < 0.18:
                days.append(SignInDay(user=user, day=s.today - dt.timedelta(days=back)))
    SignInDay.objects.bulk_create(days, ignore_conflicts=True)
    figures_refresh(today=s.today)
