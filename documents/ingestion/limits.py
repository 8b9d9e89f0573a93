"""Size limits of an ingested document.

Only the byte size can be checked before parsing; the page count, the pixel
count and the nesting depth are checked by :func:`documents.ingestion.parse.parse`
where the format exposes them, against the same :class:`Limits`.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents.ingestion.errors import Refused
from documents.ingestion.sniff import Sniffed


@dataclass(frozen=True)
class Limits:
    """What a single document may weigh.

    - ``max_bytes``: size of the file as deposited;
    - ``max_pages``: pages of a PDF (also of a PDF embedded in a CDA or FHIR document);
    - ``max_pixels`` and ``max_side``: of a JPEG, PNG or DICOM frame, checked
      before the pixels are decoded;
    - ``max_depth``: element nesting of XML and JSON;
    - ``max_xml_nodes``: elements of an XML document.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 500
    max_pixels: int = 40_000_000
    max_side: int = 12000
    max_depth: int = 64
    max_xml_nodes: int = 200_000


def human_size(size: int) -> str:
    """A byte count the French way: ``"1,5 Mo"``, ``"820 Ko"``, ``"12 octets"``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",").replace(",0 ", " ")
    if size >= 1024:
        return f"{size / 1024:.0f} Ko"
    return f"{size} octet" + ("s" if size > 1 else "")


def check_limits(data: bytes, sniffed: Sniffed, limits: Limits) -> None:
    """Raise ``Refused("too_large")`` when ``data`` is bigger than ``limits.max_bytes``.

    ``sniffed`` is accepted so that per-type limits can be added without
    changing callers; today every type has the same byte limit.
    """
    if len(data) > limits.max_bytes:
        raise Refused(
            "too_large",
            f"Le fichier fait {human_size(len(data))} : la taille maximale acceptée "
            f"est de {human_size(limits.max_bytes)}.",
        )
