"""Files embedded in a CDA or FHIR document: read under the same checks as a deposit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from documents.ingestion._text import normalise
from documents.ingestion.errors import RefusalCode, Refused
from documents.ingestion.image import image_preview
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed
from documents.ingestion.pdf import parse_pdf

T = TypeVar("T")

_SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


def read_embedded(
    raw: bytes, media_type: str, limits: Limits, *, where: str, invalid: RefusalCode
) -> Parsed | None:
    """Parse an embedded PDF, JPEG, PNG or plain text; ``None`` for other types.

    ``where`` completes "Le fichier … intégré" in messages (``"au document
    CDA"``); ``invalid`` is the refusal code when the bytes are not what the
    media type says. Refusals of the embedded file keep their code and say
    where the file was.
    """
    media_type = media_type.split(";", 1)[0].strip().lower()
    if media_type == "text/plain":
        return Parsed(text=normalise(raw.decode("utf-8", errors="replace")))
    signature = _SIGNATURES.get(media_type)
    if signature is None:
        return None
    what = f"Le fichier {media_type} intégré {where}"
    if not raw.startswith(signature):
        raise Refused(invalid, f"{what} n'est pas du type annoncé.")
    if media_type == "application/pdf":
        return refused_within(what, lambda: parse_pdf(raw, limits))
    kind = media_type.removeprefix("image/")
    return Parsed(preview_png=refused_within(what, lambda: image_preview(raw, kind, limits)))


def refused_within(what: str, call: Callable[[], T]) -> T:
    """Run ``call``; a refusal keeps its code, its message says ``what`` was refused."""
    try:
        return call()
    except Refused as refusal:
        raise Refused(refusal.code, f"{what} est refusé : {refusal.message}") from refusal
