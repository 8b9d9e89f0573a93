"""Ingestion's first step: sniffing the real type, refusing archives and contradictions,
and the size limits.

No database: every test works on bytes built by ``ingestion_builders.py``.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from documents.ingestion import Limits, Refused, check_limits, parse, sniff
from tests.documents.ingestion_builders import (
    as_json,
    build_dicom,
    build_pdf,
    document_reference,
    fixture,
    image_bytes,
)

# --- sniffing and limits -----------------------------------------------------------


def test_empty_file_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        sniff(b"")
    assert refused.value.code == "empty"


def test_zip_archive_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("cr.pdf", build_pdf())

    with pytest.raises(Refused) as refused:
        sniff(out.getvalue(), declared_mime="application/zip")

    assert refused.value.code == "archive"
    assert "ZIP" in refused.value.message


def test_docx_is_refused_as_an_archive() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')

    with pytest.raises(Refused) as refused:
        sniff(out.getvalue(), filename="cr.docx")

    assert refused.value.code == "archive"
    assert "bureautique" in refused.value.message


def test_gzip_is_refused_as_an_archive() -> None:
    import gzip

    with pytest.raises(Refused) as refused:
        sniff(gzip.compress(build_pdf()))
    assert refused.value.code == "archive"


def test_plain_text_and_html_are_unknown_types() -> None:
    for data in (b"Bonjour docteur", b"<!DOCTYPE html><html><body>x</body></html>"):
        with pytest.raises(Refused) as refused:
            sniff(data)
        assert refused.value.code == "type_unknown"


@pytest.mark.parametrize(
    ("data_name", "declared"),
    [
        ("pdf", "image/png"),
        ("jpeg", "application/pdf"),
        ("cda", "application/json"),
        ("fhir", "text/xml"),
    ],
)
def test_declared_mime_that_contradicts_the_content_is_refused(
    data_name: str, declared: str
) -> None:
    data = {
        "pdf": build_pdf(),
        "jpeg": image_bytes("JPEG"),
        "cda": fixture("VAC-NOTE_2023.01.xml"),
        "fhir": as_json(document_reference()),
    }[data_name]

    with pytest.raises(Refused) as refused:
        sniff(data, declared_mime=declared)

    assert refused.value.code == "type_mismatch"
    assert declared in refused.value.message


@pytest.mark.parametrize(
    ("kind", "declared"),
    [
        ("cda", "application/xml"),
        ("cda", "application/hl7-v3+xml"),
        ("cda", "text/xml; charset=utf-8"),
        ("fhir", "application/json"),
        ("jpeg", "image/jpg"),
        ("dicom", "application/dicom"),
        ("pdf", "application/octet-stream"),
        ("pdf", None),
    ],
)
def test_declared_mime_aliases_and_generic_declarations_are_accepted(
    kind: str, declared: str | None
) -> None:
    data = {
        "cda": fixture("VAC-NOTE_2023.01.xml"),
        "fhir": as_json(document_reference()),
        "jpeg": image_bytes("JPEG"),
        "dicom": build_dicom(),
        "pdf": build_pdf(),
    }[kind]

    assert sniff(data, declared_mime=declared).kind == kind


def test_file_over_the_byte_limit_is_refused() -> None:
    data = build_pdf()
    with pytest.raises(Refused) as refused:
        check_limits(data, sniff(data), Limits(max_bytes=100))
    assert refused.value.code == "too_large"
    with pytest.raises(Refused):
        parse(data, sniff(data), Limits(max_bytes=100))


def test_refusal_survives_pickling() -> None:
    import pickle

    refusal = pickle.loads(pickle.dumps(Refused("archive", "Archive refusée.")))  # noqa: S301
    assert (refusal.code, refusal.message) == ("archive", "Archive refusée.")
