"""The result of parsing a document: what the pipeline stores next to the blob."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass
class Parsed:
    """What a document says about itself, as far as its format tells.

    Every field but ``text`` and ``notes`` may be missing. ``type_code`` is the
    document type code of the header as written: a LOINC code, or for some
    French documents a code of the ANS terminology TRE_A05 (the VSM medical
    summary says ``SYNTH``); :func:`documents.ingestion.types.document_type_for_code`
    maps both. ``patient_ins`` is the INS (NIR) the document names, only when
    it is tagged with an INS OID (real, test or demonstration); it is returned
    even when its key is wrong (a note says so), so that the patient match
    fails instead of silently passing. ``text`` is whitespace-normalised plain
    text for search, at most about 1 MB. ``preview_png`` is a PNG of at most
    800 px on its longest side (a PDF's first page: 400 px wide, see
    ``pdf.PREVIEW_WIDTH``).
    ``notes`` are French remarks for administrators (what was skipped and why).
    """

    title: str | None = None
    type_code: str | None = None  # LOINC code (or TRE_A05 code) from the CDA header / FHIR type
    type_label: str | None = None
    author: str | None = None
    effective: datetime.date | None = None
    patient_ins: str | None = None  # INS (NIR) found in the document
    page_count: int | None = None
    text: str = ""  # plain text for search, whitespace-normalised, capped at ~1 MB
    preview_png: bytes | None = None
    notes: list[str] = field(default_factory=list)
