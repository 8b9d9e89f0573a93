"""``manage.py directory_import FILE``: import an extract of the national directory.

For the national file (several hundred MB), which a browser upload would not
carry: the file is stored and imported by the worker, as from the admin.
With ``--now`` the import runs in this process instead of a worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from messpace.directory import services
from messpace.directory.models import DirectoryImport


class Command(BaseCommand):
    help = "Importe une extraction « personne activité » de l’annuaire santé (fichier |)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Fichier partiel : ne met pas fin aux lieux d’exercice qu’il ne cite pas.",
        )
        parser.add_argument(
            "--now", action="store_true", help="Importer dans ce processus, sans worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        with path.open("rb") as stream:
            try:
                directory_import = services.directory_import_start(
                    by=None, filename=path.name, stream=stream, full_extract=not options["partial"]
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        if options["now"]:
            services.directory_import_run(import_id=directory_import.pk)
        done = DirectoryImport.objects.get(pk=directory_import.pk)
        self.stdout.write(
            f"Import {done.pk} : {done.total_rows} lignes, état {done.get_state_display()} ; "
            f"{done.created_count} ajoutés, {done.updated_count} mis à jour, "
            f"{done.error_count} lignes refusées."
        )
