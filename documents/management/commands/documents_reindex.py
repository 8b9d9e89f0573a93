"""``manage.py documents_reindex``: rebuild the blind search index of every document.

Needed after ``MESSPACE_SEARCH_INDEX_KEY`` changes (the stored hashes no
longer match queries). Decrypts each document's extracted text in memory,
never on disk; resumable with ``--from-id``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from documents import search
from documents.models import Document
from messpace import vault
from messpace.blobs import blob_get


class Command(BaseCommand):
    help = "Recalcule l’index de recherche (aveugle) de tous les documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-id", type=int, default=0, help="Reprendre à cet identifiant.")

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        last = options["from_id"]
        for document in Document.live.filter(pk__gte=last).order_by("pk").iterator(chunk_size=200):
            text = ""
            if document.text_blob:
                key = vault.unwrap(
                    wrapped=document.wrapped_key, key_id=document.key_id, owner=document.owner
                )
                text = blob_get(
                    name=document.text_blob, data_key=key, aad=f"{document.owner}:text"
                ).decode()
            terms = search.index_terms(document.title, text)
            Document.objects.filter(pk=document.pk).update(search_terms=terms)
            done += 1
            last = document.pk
        self.stdout.write(f"{done} document(s) réindexé(s) ; dernier identifiant : {last}.")
