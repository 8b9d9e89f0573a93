"""Folding text for the directory's search: no case, no accents, words only.

"Hélène GARNIER-Dupré, 75007 Paris" folds to "helene garnier dupre 75007 paris";
the index and the queries go through the same function.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents removed, every run of other characters one space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", plain.replace("œ", "oe").replace("æ", "ae")).strip()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, each once."""
    return list(dict.fromkeys(fold(text).split()))
