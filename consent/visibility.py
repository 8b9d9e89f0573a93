"""Default profession × item-kind matrix.

The ``consent.ProfessionVisibility`` rows are the admin-editable truth; a
profession or kind without a row falls back to these defaults, so a fresh
database (or a row deleted by mistake) never hides everything or shows
everything by accident. Migration 0003 seeds the rows from a copy of this
table.
"""

from __future__ import annotations

from documents.ingestion.types import DocumentType
from documents.models import visibility_kind_of
from records.models import ItemKind

# Documents are matrix kinds too, one per document type ("doc_<type>").
DOCUMENT_KINDS: frozenset[str] = frozenset(visibility_kind_of(t) for t in DocumentType.values)
ENTRY_KINDS: frozenset[str] = frozenset(ItemKind.values)
ALL_KINDS: frozenset[str] = ENTRY_KINDS | DOCUMENT_KINDS


def _docs(*codes: str) -> frozenset[str]:
    """The matrix kinds of these document types (by their JDV_J07 code)."""
    return frozenset(visibility_kind_of(DocumentType(code).value) for code in codes)


PRESCRIPTION = "57833-6"
BIOLOGY = "11502-2"
VACCINATION_NOTE = "87273-9"
VACCINATION_CERTIFICATE = "11369-6"
IMAGING = "18748-4"
OPERATIVE = "34874-8"
DISCHARGE_LETTER = "11490-0"
HOSPITAL_REPORT = "34112-3"
SUMMARY = "60591-5"

DEFAULT_MATRIX: dict[str, frozenset[str]] = {
    "generaliste": ALL_KINDS,
    "specialiste": ALL_KINDS,
    "urgentiste": ALL_KINDS,
    "sage_femme": ALL_KINDS,
    "pharmacien": frozenset({"treatment", "allergy", "vaccination", "measure"})
    | _docs(PRESCRIPTION, BIOLOGY, VACCINATION_NOTE, VACCINATION_CERTIFICATE),
    "infirmier": frozenset(
        {"condition", "treatment", "hospitalisation", "handicap", "allergy", "habit"}
        | {"vaccination", "measure"}
    )
    | _docs(PRESCRIPTION, BIOLOGY, DISCHARGE_LETTER, VACCINATION_NOTE, VACCINATION_CERTIFICATE),
    "kinesitherapeute": frozenset(
        {"condition", "treatment", "hospitalisation", "handicap", "allergy", "habit", "measure"}
    )
    | _docs(PRESCRIPTION, IMAGING, OPERATIVE, DISCHARGE_LETTER),
    "chirurgien_dentiste": frozenset(
        {"condition", "treatment", "hospitalisation", "allergy", "measure"}
    )
    | _docs(PRESCRIPTION, IMAGING, BIOLOGY),
    "orthophoniste": frozenset({"condition", "treatment", "handicap", "allergy"})
    | _docs(DISCHARGE_LETTER),
    "pedicure_podologue": frozenset({"condition", "treatment", "allergy", "measure"})
    | _docs(PRESCRIPTION, IMAGING),
    "psychologue": frozenset(
        {"condition", "mental_health", "treatment", "handicap", "family", "habit"}
    )
    | _docs(DISCHARGE_LETTER),
    "dieteticien": frozenset({"condition", "treatment", "allergy", "habit", "measure"})
    | _docs(BIOLOGY, DISCHARGE_LETTER),
}
