"""Ingestion of FHIR resources: DocumentReference and document Bundles, parsed and rendered.

No database: every test works on bytes built by ``ingestion_builders.py``.
"""

from __future__ import annotations

import base64
import datetime
import json
import time

import pytest

from documents.ingestion import Limits, Refused, Sniffed, fhir_to_html, parse, sniff
from tests.documents.ingestion_builders import (
    PATIENT_INS,
    TEST_INS_OID,
    as_json,
    assert_whitelisted,
    build_pdf,
    document_reference,
    sniffed,
)

# --- FHIR ---------------------------------------------------------------------------


def test_fhir_document_reference_is_parsed() -> None:
    data = as_json(document_reference())
    kind = sniff(data, declared_mime="application/fhir+json")

    parsed = parse(data, kind, Limits())

    assert kind == Sniffed(kind="fhir", mime="application/fhir+json")
    assert parsed.type_code == "11502-2"
    assert parsed.type_label == "CR d'examens biologiques"
    assert parsed.title == "Bilan thyroïdien"
    assert parsed.effective == datetime.date(2024, 3, 15)
    assert parsed.author == "Laboratoire des Charmes"
    assert parsed.patient_ins == PATIENT_INS
    assert "bilan.pdf" in parsed.text


def test_fhir_inline_pdf_attachment_text_is_extracted() -> None:
    attachment = {
        "contentType": "application/pdf",
        "title": "bilan.pdf",
        "data": base64.b64encode(build_pdf("Thyroxine libre")).decode(),
    }
    data = as_json(document_reference(content=[{"attachment": attachment}]))

    parsed = parse(data, sniffed("fhir"), Limits())

    assert "Thyroxine libre page 1" in parsed.text
    assert parsed.preview_png is not None
    assert parsed.page_count == 1


def test_fhir_document_reference_missing_content_is_refused_with_its_location() -> None:
    resource = document_reference()
    del resource["content"]

    with pytest.raises(Refused) as refused:
        parse(as_json(resource), sniffed("fhir"), Limits())

    assert refused.value.code == "fhir_invalid"
    assert "content" in refused.value.message


def test_fhir_unknown_element_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(as_json(document_reference(colour="rouge")), sniffed("fhir"), Limits())
    assert refused.value.code == "fhir_invalid"
    assert "colour" in refused.value.message


def test_fhir_duplicate_keys_are_refused() -> None:
    data = b'{"resourceType": "DocumentReference", "status": "current", "status": "superseded"}'
    with pytest.raises(Refused) as refused:
        parse(data, sniffed("fhir"), Limits())
    assert refused.value.code == "fhir_invalid"


def bundle(*patients_ins: str) -> dict[str, object]:
    entries: list[dict[str, object]] = [
        {
            "fullUrl": "urn:uuid:composition",
            "resource": {
                "resourceType": "Composition",
                "status": "final",
                "type": {
                    "coding": [
                        {
                            "system": "http://loinc.org",
                            "code": "60591-5",
                            "display": "Synthèse médicale",
                        }
                    ]
                },
                "subject": {"reference": "urn:uuid:patient-0"},
                "date": "2024-02-01",
                "author": [{"reference": "urn:uuid:gp"}],
                "title": "Synthèse médicale de Alice",
                "section": [
                    {
                        "title": "Allergies",
                        "text": {
                            "status": "generated",
                            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Pénicilline</p></div>',
                        },
                    }
                ],
            },
        },
        {
            "fullUrl": "urn:uuid:gp",
            "resource": {
                "resourceType": "Practitioner",
                "name": [{"family": "DURAND", "given": ["Bob"]}],
            },
        },
    ]
    for i, ins in enumerate(patients_ins):
        entries.append(
            {
                "fullUrl": f"urn:uuid:patient-{i}",
                "resource": {
                    "resourceType": "Patient",
                    "id": f"p{i}",
                    "identifier": [{"system": f"urn:oid:{TEST_INS_OID}", "value": ins}],
                    "name": [{"family": "MARTIN", "given": ["Alice"]}],
                    "birthDate": "1979-03-28",
                },
            }
        )
    return {"resourceType": "Bundle", "type": "document", "entry": entries}


def test_fhir_document_bundle_takes_its_header_from_the_composition() -> None:
    parsed = parse(as_json(bundle(PATIENT_INS)), sniffed("fhir"), Limits())

    assert parsed.title == "Synthèse médicale de Alice"
    assert parsed.type_code == "60591-5"
    assert parsed.author == "Bob DURAND"
    assert parsed.effective == datetime.date(2024, 2, 1)
    assert parsed.patient_ins == PATIENT_INS
    assert "Pénicilline" in parsed.text


def test_fhir_bundle_naming_two_patients_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(as_json(bundle(PATIENT_INS, "180017512345628")), sniffed("fhir"), Limits())
    assert refused.value.code == "fhir_invalid"
    assert "plusieurs patients" in refused.value.message


def test_fhir_invalid_bundle_entry_is_refused_with_its_location() -> None:
    resource = bundle(PATIENT_INS)
    resource["entry"][2]["resource"]["birthDate"] = "28/03/1979"  # type: ignore[index]

    with pytest.raises(Refused) as refused:
        parse(as_json(resource), sniffed("fhir"), Limits())

    assert refused.value.code == "fhir_invalid"
    assert "entry.2.resource.birthDate" in refused.value.message


def test_deep_json_is_refused() -> None:
    data = as_json(document_reference(extension=json.loads("[" * 80 + "]" * 80)))

    with pytest.raises(Refused) as refused:
        parse(data, sniffed("fhir"), Limits())

    assert refused.value.code == "nesting_too_deep"


def test_absurdly_deep_json_is_refused_at_sniffing_quickly() -> None:
    data = b'{"resourceType": "Bundle", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    start = time.perf_counter()

    with pytest.raises(Refused) as refused:
        sniff(data)

    assert refused.value.code == "nesting_too_deep"
    assert time.perf_counter() - start < 2


def test_json_that_is_not_an_accepted_fhir_resource_is_an_unknown_type() -> None:
    for data in (b'{"resourceType": "Patient"}', b'{"hello": "world"}'):
        with pytest.raises(Refused) as refused:
            sniff(data)
        assert refused.value.code == "type_unknown"


def test_fhir_document_reference_renders_as_escaped_summary() -> None:
    data = as_json(document_reference(description="<script>alert(1)</script> Bilan"))

    html = fhir_to_html(data)

    assert_whitelisted(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bilan" in html
    assert "à jour" in html
    assert "Laboratoire des Charmes" in html
    assert "15/03/2024" in html
    assert "bilan.pdf (application/pdf)" in html
    assert PATIENT_INS in html


def test_fhir_bundle_renders_each_entry() -> None:
    html = fhir_to_html(as_json(bundle(PATIENT_INS)))

    assert_whitelisted(html)
    assert "<strong>Composition</strong>" in html
    assert "Titre : Synthèse médicale de Alice" in html
    assert "Nom : Alice MARTIN" in html
    assert "Naissance : 28/03/1979" in html
    assert f"INS : {PATIENT_INS}" in html


def test_fhir_rendering_refuses_invalid_resources() -> None:
    with pytest.raises(Refused):
        fhir_to_html(as_json({"resourceType": "DocumentReference", "status": "current"}))
