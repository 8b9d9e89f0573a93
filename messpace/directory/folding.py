"""Folding text for the directory's search: no case, no accents, words only.

"Hélène GARNIER-Dupré, 75007 Paris" folds to "helene garnier dupre 75007 paris";
the index and the queries go through the same function.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# Every combining mark, for ``str.translate`` when a text holds other non-ASCII
# characters (œ, ß, ø…); otherwise the marks go with an ASCII encoding, ten
# times faster than looking at each character.
_COMBINING = {code: None for code in range(sys.maxunicode + 1) if unicodedata.combining(chr(code))}


def fold(text: str) -> str:
    """Lower case, accents removed, every run of other characters one space."""
    if not text:
        return ""
    if text.isascii():
        return _NOT_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    if all(unicodedata.combining(c) for c in _NOT_ASCII.findall(decomposed)):
        plain = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    else:
        plain = decomposed.translate(_COMBINING).lower()
    return _NOT_WORD.sub(" ", plain.replace("œ", "oe").replace("æ", "ae")).strip()


# The import folds the same towns, structures, labels and names over and over.
fold_cached = lru_cache(maxsize=200_000)(fold)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, each once."""
    return list(dict.fromkeys(fold(text).split()))
