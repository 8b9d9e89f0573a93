"""Full-text search over documents without plaintext in the database: a blind index.

A document's title and extracted text are cut into words the way PostgreSQL's
French text search does (``to_tsvector('french', …)``: lower case, stop words
dropped, French stemming), each word is hashed with a keyed HMAC, and the
hashes are stored in ``Document.search_terms`` (a JSON array with a GIN index
on PostgreSQL). A query goes through the same steps and matches documents
holding every one of its hashes. The database thus finds documents by word
without ever holding the words. In embedded SQLite mode the words are only
lower-cased and stripped of accents (no stemming).

The price: no ranking and no prefix search; the terms must be rebuilt
(``manage.py documents_reindex``) if ``MESSPACE_SEARCH_INDEX_KEY`` changes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from documents.models import Document

MAX_TERMS = 5000
MAX_INDEXED_CHARS = 1_000_000
_WORD_RE = re.compile(r"\w{2,}")


def _fold_char(code: int) -> str:
    decomposed = unicodedata.normalize("NFKD", chr(code))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Accented letters of the Latin blocks mapped to their base letters once, so that
# folding a long text is one ``str.translate`` (a per-character loop over 1 MB
# of text took most of the indexing time).
_FOLD_TABLE = {
    code: _fold_char(code) for code in range(0xC0, 0x250) if _fold_char(code) != chr(code)
}


def _fold(text: str) -> str:
    """Lower case without accents, so "hôpital" finds "HOPITAL"."""
    return text.lower().translate(_FOLD_TABLE)


def _words(text: str) -> set[str]:
    folded = _fold(text[:MAX_INDEXED_CHARS])
    if not folded.strip():
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The text crosses the connection to be stemmed; it is not stored.
            cursor.execute("SELECT unnest(tsvector_to_array(to_tsvector('french', %s)))", [folded])
            return {row[0] for row in cursor.fetchall()}
    return set(_WORD_RE.findall(folded))


def _hash(word: str) -> str:
    key: bytes = settings.MESSPACE_SEARCH_INDEX_KEY
    return hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:16]


def index_terms(*texts: str) -> list[str]:
    """The blind index of some texts: sorted keyed hashes of their words (one query)."""
    words = _words("\n".join(texts))
    return sorted({_hash(w) for w in words})[:MAX_TERMS]


def search_filter(qs: QuerySet[Document], query: str) -> QuerySet[Document]:
    """Documents of ``qs`` containing every word of ``query`` (title or text)."""
    terms = index_terms(query)
    if not terms:
        return qs
    if connection.vendor == "postgresql":
        return qs.filter(search_terms__contains=terms)
    condition = Q()
    for term in terms:
        condition &= Q(search_terms__icontains=f'"{term}"')
    return qs.filter(condition)
