"""``manage.py seed_demo``: create or restore the demo data, then print the accounts.

The data itself lives in :mod:`records.management.demo`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from records.management.demo import seed
from records.management.demo.base import ACCOUNTS, BACKUP_CODES, DEMO_PASSWORD, Seeder


class Command(BaseCommand):
    help = (
        "Crée (ou remet en état) les données de démonstration et affiche les comptes. "
        "Peut être relancée sans risque."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Adresse du site affichée avec les comptes.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Accepter de tourner sans DEBUG (les comptes ont un mot de passe connu).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEV_MODE and not options["force"]:
            raise CommandError(
                "seed_demo crée des comptes au mot de passe connu : il ne tourne qu’avec "
                "DEBUG=true (ou --force pour une base de démonstration)."
            )
        seeder = Seeder(timezone.localdate())
        # The services' notices (carer invitation, declared care relationships,
        # campaign emails) go to invented addresses, sent when the transaction
        # commits: keep them out of the terminal and off the network.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            seed(seeder)
        self._print(seeder, options["base_url"].rstrip("/"))

    def _print(self, seeder: Seeder, base_url: str) -> None:
        created = seeder.summary.created_patients
        if created:
            self.stdout.write(
                f"Dossiers créés : {len(created)} ; éléments ajoutés : {seeder.summary.entries}."
            )
        else:
            self.stdout.write(
                "Données déjà présentes : mots de passe, codes de secours et dossiers remis en état."
            )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Connexion : {base_url}{reverse('accounts:login')}"))
        self.stdout.write(f"Mot de passe de tous les comptes : {DEMO_PASSWORD}")
        self.stdout.write("")
        codes = f"{BACKUP_CODES[0]} … {BACKUP_CODES[-1]}"
        header = ("Rôle", "Nom", "Adresse électronique", "Mot de passe", "Codes de secours")
        rows = [header] + [
            (a.role, a.name, a.email, DEMO_PASSWORD, codes if a.two_factor else "—")
            for a in ACCOUNTS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(
            f"Codes de secours (validation en deux étapes) : {', '.join(BACKUP_CODES)}.\n"
            "Chacun ne sert qu’une fois par compte ; relancez seed_demo pour les restaurer.\n"
            "Louis Moreau (4 ans) n’a pas de compte : ses parents, Julien et Camille, ouvrent "
            "son dossier et celui d’Emma depuis « Mes enfants ».\n"
            "Sophie Fontaine est l’aidante de Gérard : traitements, mesures, allergies et "
            "vaccinations, depuis « Personnes que j’aide »."
        )
        example = seeder.summary.emergency_example
        if example is not None:
            self.stdout.write("")
            self.stdout.write(
                f"Accès en urgence : connectez-vous en médecin urgentiste, ouvrez "
                f"{base_url}{reverse('pro:emergency_access')} et saisissez l’INS "
                f"{example.nir_display} et la date de naissance "
                f"{example.birth_date:%d/%m/%Y} ({example.full_name})."
            )
