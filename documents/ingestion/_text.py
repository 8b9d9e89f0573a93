"""Plain text for the search index: normalised, bounded, safe for PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterable

# About 1 MB of text: enough for any clinical document, small enough to index.
TEXT_CAP = 1_000_000

# C0 controls (NUL is refused by PostgreSQL text columns) and DEL; tab and
# newlines are whitespace and are normalised below.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise(text: str) -> str:
    """Collapse blanks within each line, drop empty lines, strip controls."""
    text = _CONTROLS.sub(" ", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class TextBuffer:
    """Collects text chunks up to :data:`TEXT_CAP` characters once normalised.

    Extractors check :attr:`full` to stop early: a 500-page PDF does not need
    every page read once the cap is reached.
    """

    def __init__(self, cap: int = TEXT_CAP) -> None:
        self._cap = cap
        self._parts: list[str] = []
        self._size = 0

    @property
    def full(self) -> bool:
        return self._size >= self._cap

    def add(self, chunk: str | None) -> None:
        if not chunk or self.full:
            return
        cleaned = normalise(chunk)
        if cleaned:
            self._parts.append(cleaned)
            self._size += len(cleaned) + 1

    def extend(self, chunks: Iterable[str | None]) -> None:
        for chunk in chunks:
            self.add(chunk)

    def text(self) -> str:
        """The collected text, cut at a word boundary if it passed the cap."""
        joined = "\n".join(self._parts)
        if len(joined) <= self._cap:
            return joined
        cut = joined[: self._cap]
        space = max(cut.rfind(" "), cut.rfind("\n"))
        return cut[:space] if space > self._cap // 2 else cut
