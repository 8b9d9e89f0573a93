"""``manage.py figures_refresh``: compute the national figures now (the nightly task's work)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from messpace.statistics.services import figures_refresh


class Command(BaseCommand):
    help = "Calcule les chiffres nationaux (ce que fait la tâche de chaque nuit)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = figures_refresh()
        self.stdout.write(f"{count} chiffres calculés.")
