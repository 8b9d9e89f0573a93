"""Ingestion of images and DICOM: previews, pixel limits, truncated and hostile files.

No database: every test works on bytes built by ``ingestion_builders.py``.
"""

from __future__ import annotations

import datetime
import io

import pydicom
import pytest
from PIL import Image

from documents.ingestion import Limits, Refused, Sniffed, parse, sniff
from tests.documents.ingestion_builders import (
    PATIENT_INS,
    build_dicom,
    image_bytes,
    png_claiming,
    sniffed,
)

# --- images and DICOM --------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", "jpeg"), ("PNG", "png")])
def test_image_is_previewed_within_800_px(fmt: str, kind: str) -> None:
    data = image_bytes(fmt, (1600, 900), "teal")

    parsed = parse(data, sniff(data), Limits())

    assert sniff(data).kind == kind
    assert parsed.text == ""
    assert parsed.preview_png is not None
    with Image.open(io.BytesIO(parsed.preview_png)) as preview:
        assert preview.size == (800, 450)


def test_jpeg_named_pdf_is_a_jpeg() -> None:
    data = image_bytes("JPEG")
    assert sniff(data, filename="compte-rendu.pdf") == Sniffed(kind="jpeg", mime="image/jpeg")


def test_png_claiming_100000_pixels_a_side_is_refused() -> None:
    data = png_claiming(100_000, 100_000)
    assert sniff(data).kind == "png"

    with pytest.raises(Refused) as refused:
        parse(data, sniff(data), Limits())

    assert refused.value.code == "image_too_large"


def test_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    with pytest.raises(Refused) as refused:
        parse(png_claiming(8000, 8000), sniffed("png"), Limits())
    assert refused.value.code == "image_too_large"
    assert "8000×8000" in refused.value.message


def test_truncated_jpeg_is_refused() -> None:
    data = image_bytes("JPEG", (400, 300))
    with pytest.raises(Refused) as refused:
        parse(data[: len(data) // 2], sniffed("jpeg"), Limits())
    assert refused.value.code == "image_invalid"


def test_dicom_gives_header_fields_and_a_preview() -> None:
    data = build_dicom()
    kind = sniff(data, declared_mime="application/dicom")

    parsed = parse(data, kind, Limits())

    assert kind == Sniffed(kind="dicom", mime="application/dicom")
    assert parsed.title == "Radiographie du thorax"
    assert parsed.effective == datetime.date(2024, 1, 2)
    assert parsed.patient_ins == PATIENT_INS
    assert "Face" in parsed.text
    assert parsed.preview_png is not None
    with Image.open(io.BytesIO(parsed.preview_png)) as preview:
        assert preview.size == (64, 64)
        assert preview.convert("L").getextrema() == (0, 255)


def test_dicom_patient_id_without_ins_issuer_is_not_an_ins() -> None:
    parsed = parse(build_dicom(issuer="HOPITAL-IPP", bits=8), sniffed("dicom"), Limits())

    assert parsed.patient_ins is None
    assert parsed.preview_png is not None


def test_dicom_with_executable_preamble_is_refused() -> None:
    data = b"MZ" + build_dicom()[2:]
    assert sniff(data).kind == "dicom"

    with pytest.raises(Refused) as refused:
        parse(data, sniff(data), Limits())

    assert refused.value.code == "dicom_invalid"


def test_dicom_bytes_pydicom_cannot_read_are_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(b"\0" * 128 + b"DICM" + b"\xff" * 64, sniffed("dicom"), Limits())
    assert refused.value.code == "dicom_invalid"


def test_pydicom_reads_what_the_builder_writes() -> None:
    assert pydicom.dcmread(io.BytesIO(build_dicom())).Rows == 64


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow() -> None:
    """GIVEN WeasyPrint imported in the same worker (it sets Pillow's
    LOAD_TRUNCATED_IMAGES process-wide) WHEN a truncated JPEG is parsed
    THEN it is still refused, and the global setting is left as it was."""
    import weasyprint  # noqa: F401 - the import is the point
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = image_bytes("JPEG", (400, 300))

    with pytest.raises(Refused) as refused:
        parse(data[: len(data) // 2], sniffed("jpeg"), Limits())

    assert refused.value.code == "image_invalid"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
