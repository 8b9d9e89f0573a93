"""Ingestion of PDFs: text and preview, JavaScript, encryption, polyglots, limits.

No database: every test works on bytes built by ``ingestion_builders.py``.
"""

from __future__ import annotations

import datetime
import io

import pytest
from PIL import Image

from documents.ingestion import Limits, Refused, Sniffed, parse, sniff
from documents.ingestion import pdf as pdf_module
from tests.documents.ingestion_builders import (
    build_pdf,
    build_pdf_with_object_stream,
    encrypted,
    sniffed,
)

# --- PDF ----------------------------------------------------------------------------


def test_pdf_gives_metadata_page_count_text_and_small_preview() -> None:
    data = build_pdf("Compte rendu de consultation", pages=2)
    kind = sniff(data, declared_mime="application/pdf")

    parsed = parse(data, kind, Limits())

    assert kind == Sniffed(kind="pdf", mime="application/pdf")
    assert parsed.title == "CR consultation"
    assert parsed.author == "Dr Bob Durand"
    assert parsed.effective == datetime.date(2024, 3, 15)
    assert parsed.page_count == 2
    assert "Compte rendu de consultation page 1" in parsed.text
    assert "page 2" in parsed.text
    assert parsed.preview_png is not None
    with Image.open(io.BytesIO(parsed.preview_png)) as preview:
        assert preview.format == "PNG"
        assert preview.width == pdf_module.PREVIEW_WIDTH
        assert preview.height <= 800


@pytest.mark.parametrize(
    "catalog_extra",
    [
        pytest.param(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", id="open-action"),
        pytest.param(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>", id="hex-escaped"),
        pytest.param(b"/AA << /WC << /S /JavaScript /JS (x) >> >>", id="additional-action"),
    ],
)
def test_pdf_with_javascript_action_is_refused(catalog_extra: bytes) -> None:
    with pytest.raises(Refused) as refused:
        parse(build_pdf(catalog_extra=catalog_extra), sniffed("pdf"), Limits())
    assert refused.value.code == "pdf_javascript"


def test_pdf_with_document_level_javascript_is_refused() -> None:
    names = (
        b"/Names << /JavaScript << /Names [(init) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"
    )

    with pytest.raises(Refused) as refused:
        parse(build_pdf(catalog_extra=names), sniffed("pdf"), Limits())

    assert refused.value.code == "pdf_javascript"


def test_javascript_hidden_in_a_compressed_object_stream_is_refused() -> None:
    """GIVEN a PDF whose OpenAction lives inside a compressed object stream
    WHEN it is parsed
    THEN the raw byte scan sees nothing but the object walk refuses it."""
    data = build_pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    assert not pdf_module.raw_javascript(data)

    with pytest.raises(Refused) as refused:
        parse(data, sniffed("pdf"), Limits())

    assert refused.value.code == "pdf_javascript"


def test_object_stream_without_javascript_is_accepted() -> None:
    data = build_pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>")

    parsed = parse(data, sniffed("pdf"), Limits())

    assert "Bonjour" in parsed.text


def test_truncated_pdf_is_refused() -> None:
    data = build_pdf()
    with pytest.raises(Refused) as refused:
        parse(data[: len(data) // 2], sniffed("pdf"), Limits())
    assert refused.value.code == "pdf_unreadable"


def test_pdf_needing_a_password_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(encrypted(build_pdf(), user_password="secret"), sniffed("pdf"), Limits())
    assert refused.value.code == "pdf_encrypted"
    assert "mot de passe" in refused.value.message


def test_pdf_with_only_permission_restrictions_is_read() -> None:
    parsed = parse(encrypted(build_pdf("Ordonnance"), user_password=""), sniffed("pdf"), Limits())

    assert "Ordonnance page 1" in parsed.text
    assert any("chiffré" in note for note in parsed.notes)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n",
            id="html-after-header",
        ),
        pytest.param(
            b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n",
            id="html-with-fake-eof",
        ),
        pytest.param(
            b"%PDF-1.4\n%<script>alert(1)</script>\n" + build_pdf()[9:], id="html-in-comment"
        ),
    ],
)
def test_pdf_html_polyglot_is_sniffed_as_pdf_then_refused_by_parsing(data: bytes) -> None:
    assert sniff(data).kind == "pdf"
    with pytest.raises(Refused) as refused:
        parse(data, sniff(data), Limits())
    assert refused.value.code == "pdf_unreadable"


def test_pdf_header_not_at_offset_zero_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        sniff(b"GIF89a" + build_pdf())
    assert refused.value.code == "type_unknown"


def test_pdf_with_too_many_pages_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(build_pdf(pages=3), sniffed("pdf"), Limits(max_pages=2))
    assert refused.value.code == "too_many_pages"


def test_javascript_scan_ignores_stream_data() -> None:
    content = b"BT /F1 12 Tf (/JS /JavaScript) Tj ET"
    assert pdf_module.raw_javascript(b"1 0 obj << /S /JavaScript >> endobj")
    assert not pdf_module.raw_javascript(
        b"1 0 obj << /Length 36 >>\nstream\n" + content + b"\nendstream\nendobj\n"
    )
