"""What a document says: header fields, search text, preview.

:func:`parse` dispatches on the sniffed kind to one reader per format:

- PDF (:mod:`.pdf`): pypdf validates the structure and refuses JavaScript
  (refused, not neutralised: a clinician's PDF has no reason to carry
  scripts, and a refusal is verifiable), PDFium extracts the text and renders
  the first page;
- CDA R2 (:mod:`.cda`): hardened lxml (no DTD, no entities, bounded);
- FHIR R4 JSON (:mod:`.fhir`): validated with fhir.resources' R4B models, the
  library's closest package to R4;
- JPEG and PNG (:mod:`.image`), DICOM (:mod:`.dicom`): dimensions bounded
  before decoding, preview only.

Every reader raises :class:`~documents.ingestion.errors.Refused` for bad
input; any other exception is a bug or a transient failure, never a verdict
on the document.
"""

from __future__ import annotations

from documents.ingestion.cda import parse_cda
from documents.ingestion.dicom import parse_dicom
from documents.ingestion.fhir import parse_fhir
from documents.ingestion.image import parse_image
from documents.ingestion.limits import Limits, check_limits
from documents.ingestion.parsed import Parsed
from documents.ingestion.pdf import parse_pdf
from documents.ingestion.sniff import Sniffed

__all__ = ["Parsed", "parse"]


def parse(data: bytes, sniffed: Sniffed, limits: Limits, *, pdf_preview: bool = True) -> Parsed:
    """Parse ``data`` as ``sniffed.kind`` under ``limits``, or raise ``Refused``.

    ``sniffed`` must come from :func:`~documents.ingestion.sniff.sniff` on the
    same bytes. The byte-size limit is checked again here (it is cheap) so
    that ``parse`` is safe to call on its own. ``pdf_preview=False`` skips the
    rendering of a PDF's first page (the pipeline makes it on first view).
    """
    check_limits(data, sniffed, limits)
    if sniffed.kind == "pdf":
        return parse_pdf(data, limits, preview=pdf_preview)
    if sniffed.kind == "cda":
        return parse_cda(data, limits)
    if sniffed.kind == "fhir":
        return parse_fhir(data, limits)
    if sniffed.kind == "dicom":
        return parse_dicom(data, limits)
    return parse_image(data, sniffed.kind, limits)
