"""Document types: the model choices and how header codes map to them.

No database.
"""

from __future__ import annotations

import pytest

from documents.ingestion import DocumentType, Parsed, document_type_for_code
from documents.ingestion.types import LOINC_OID, TRE_A05_OID

# --- document types ------------------------------------------------------------------


def test_document_types_are_model_choices_keyed_by_code() -> None:
    assert DocumentType.CR_BIOLOGIE.value == "11502-2"
    assert ("11490-0", DocumentType.LETTRE_LIAISON_SORTIE.label) in DocumentType.choices
    assert DocumentType.DOCUMENT_PATIENT.code_system == TRE_A05_OID
    assert DocumentType.CR_IMAGERIE.code_system == LOINC_OID


@pytest.mark.parametrize(
    ("code", "system", "expected"),
    [
        ("11490-0", LOINC_OID, DocumentType.LETTRE_LIAISON_SORTIE),
        ("18748-4", "http://loinc.org", DocumentType.CR_IMAGERIE),
        ("SYNTH", TRE_A05_OID, DocumentType.SYNTHESE_MEDICALE),
        ("96874-3", None, DocumentType.HISTORIQUE_VACCINATIONS),
        ("DOCPAT03", f"urn:oid:{TRE_A05_OID}", DocumentType.DOCUMENT_PATIENT),
        ("11490-0", TRE_A05_OID, None),
        ("11490-0", "2.16.840.1.113883.6.96", None),
        ("AUTRE", None, None),
        ("99999-9", LOINC_OID, None),
        (None, None, None),
    ],
)
def test_header_codes_map_to_document_types(
    code: str | None, system: str | None, expected: DocumentType | None
) -> None:
    assert document_type_for_code(code, system) is expected


def test_parsed_defaults_are_empty() -> None:
    assert Parsed() == Parsed(text="", notes=[])
