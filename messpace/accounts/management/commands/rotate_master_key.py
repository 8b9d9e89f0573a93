"""``manage.py rotate_master_key``: re-wrap stored data keys under one master key.

It lives in ``messpace.accounts`` because the ``messpace`` package itself is
not an installed app; the logic is :mod:`messpace.vault_rotation`.

Rotation, step by step: add the new key to ``MESSPACE_MASTER_KEYS`` and make
it ``MESSPACE_MASTER_KEY_ID`` (new documents use it at once), deploy, run this
command, and remove the old key only once no row and no backup still needs it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from messpace import vault
from messpace.vault_rotation import DEFAULT_BATCH_SIZE, pending_counts, rotate


class Command(BaseCommand):
    help = (
        "Réemballe sous une clé maîtresse (par défaut la clé courante) les clés de données "
        "stockées sous une autre. Les fichiers chiffrés ne sont pas touchés. Interrompue, "
        "elle peut être relancée : elle reprend là où elle en était."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            dest="to_key_id",
            metavar="KEY_ID",
            help="Identifiant de la clé maîtresse cible (par défaut MESSPACE_MASTER_KEY_ID).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Lignes par transaction (par défaut {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compter seulement les clés à réemballer, sans rien écrire.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size doit valoir au moins 1.")
        try:
            current = vault.current_key_id()
            target: str = options["to_key_id"] or current
            if target not in vault.master_key_ids():
                raise CommandError(
                    f"Clé maîtresse inconnue : {target!r} "
                    f"(configurées : {', '.join(vault.master_key_ids())})."
                )
            if target != current:
                self.stderr.write(
                    f"Attention : la cible {target!r} n’est pas la clé courante {current!r} ; "
                    "les nouveaux documents restent emballés sous la clé courante."
                )
            if not vault.sealed_models():
                self.stdout.write("Aucun modèle ne détient de clé de données : rien à faire.")
                return
            if options["dry_run"]:
                self._dry_run(target)
            else:
                rotate(to_key_id=target, batch_size=batch_size, stdout=self.stdout)
                self._remaining(target)
        except vault.VaultError as exc:
            raise CommandError(str(exc)) from exc

    def _dry_run(self, target: str) -> None:
        counts = pending_counts(to_key_id=target)
        for label, by_key in counts.items():
            detail = ", ".join(f"{n} sous {key_id!r}" for key_id, n in sorted(by_key.items()))
            self.stdout.write(f"{label} : {sum(by_key.values())} à réemballer ({detail or '—'})")
        total = sum(sum(by_key.values()) for by_key in counts.values())
        self.stdout.write(f"Simulation : {total} clé(s) à réemballer sous {target!r}, rien écrit.")

    def _remaining(self, target: str) -> None:
        """Say which old master keys rows still use, so the operator knows what may go."""
        left = {key_id for by_key in pending_counts(to_key_id=target).values() for key_id in by_key}
        unused = [
            key_id for key_id in vault.master_key_ids() if key_id != target and key_id not in left
        ]
        if left:
            self.stdout.write(f"Encore utilisées par des lignes : {', '.join(sorted(left))}.")
        if unused:
            self.stdout.write(
                f"Plus utilisées par aucune ligne : {', '.join(unused)} ; gardez-les tant que "
                "des sauvegardes antérieures à cette rotation peuvent être restaurées."
            )
