"""Builders for the ingestion tests: PDFs, images, DICOM, CDA and FHIR documents as bytes.

Also the ANS sample CDA documents of ``fixtures/`` and the check that rendered
HTML keeps to the whitelist.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from array import array
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from pypdf import PdfReader, PdfWriter

from documents.ingestion import Sniffed
from documents.ingestion.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from documents.ingestion.types import LOINC_OID

FIXTURES = Path(__file__).parent / "fixtures"
PATIENT_INS = "279035121518989"
TEST_INS_OID = "1.2.250.1.213.1.4.10"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def build_pdf(
    text: str = "Compte rendu de consultation",
    *,
    pages: int = 1,
    catalog_extra: bytes = b"",
    title: str = "CR consultation",
) -> bytes:
    """A small valid PDF written by hand: Helvetica text on each page, an Info dict."""
    page_numbers = [5 + 2 * i for i in range(pages)]
    kids = b" ".join(f"{n} 0 R".encode() for n in page_numbers)
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: (
            f"<< /Title ({title}) /Author (Dr Bob Durand) "
            "/CreationDate (D:20240315103000+01'00') >>"
        ).encode(),
    }
    for i, number in enumerate(page_numbers):
        content = f"BT /F1 14 Tf 72 720 Td ({text} page {i + 1}) Tj ET".encode()
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents "
            + f"{number + 1} 0 R".encode()
            + b" >>"
        )
        objects[number + 1] = (
            b"<< /Length "
            + str(len(content)).encode()
            + b" >>\nstream\n"
            + content
            + b"\nendstream"
        )
    return _write_classic(objects, root=1, info=4)


def _write_classic(objects: dict[int, bytes], *, root: int, info: int | None = None) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for number in range(1, size):
        if number in offsets:
            out += f"{offsets[number]:010d} 00000 n \n".encode()
        else:
            out += b"0000000000 65535 f \n"
    trailer = f"<< /Size {size} /Root {root} 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def build_pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF 1.5 whose OpenAction target (object 6) is compressed in an object stream.

    Nothing in the raw bytes names JavaScript: only a parser that inflates the
    object stream sees ``hidden``.
    """
    content = b"BT /F1 14 Tf 72 720 Td (Bonjour) Tj ET"
    plain = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: b"<< /Length "
        + str(len(content)).encode()
        + b" >>\nstream\n"
        + content
        + b"\nendstream",
    }
    header = b"6 0 "
    packed = zlib.compress(header + hidden)
    plain[7] = (
        b"<< /Type /ObjStm /N 1 /First "
        + str(len(header)).encode()
        + b" /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream"
    )
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(plain):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + plain[number] + b"\nendobj\n"
    offsets[8] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, 9):
        if number == 6:
            rows.append(struct.pack(">BIH", 2, 7, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    table = b"".join(rows)
    out += (
        b"8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Length "
        + str(len(table)).encode()
        + b" >>\nstream\n"
        + table
        + b"\nendstream\nendobj\n"
    )
    out += f"startxref\n{offsets[8]}\n%%EOF\n".encode()
    return bytes(out)


def encrypted(pdf: bytes, *, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (32, 24), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose IHDR is patched to claim ``width`` × ``height`` (CRC fixed)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def build_dicom(*, issuer: str | None = TEST_INS_OID, bits: int = 16) -> bytes:
    """A 64×64 secondary-capture DICOM with a gradient, written in memory."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID = PATIENT_INS
    if issuer:
        ds.IssuerOfPatientID = issuer
    ds.StudyDescription = "Radiographie du thorax"
    ds.SeriesDescription = "Face"
    ds.StudyDate = "20240102"
    ds.Modality = "DX"
    ds.Rows = 64
    ds.Columns = 64
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits
    ds.BitsStored = 12 if bits == 16 else 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    if bits == 16:
        ds.PixelData = array(
            "H", [(x * 64 + y) % 4096 for x in range(64) for y in range(64)]
        ).tobytes()
    else:
        ds.PixelData = bytes((x * 4) % 256 for x in range(64) for _y in range(64))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def minimal_cda(body: str, *, header_extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11488-4" codeSystem="{LOINC_OID}" displayName="CR de consultation"/>
  <title>Consultation</title>
  <effectiveTime value="20240315103000+0100"/>
  <recordTarget><patientRole><id root="{TEST_INS_OID}" extension="{PATIENT_INS}"/>
    <patient><name><given>Alice</given><family>MARTIN</family></name></patient>
  </patientRole></recordTarget>
  {header_extra}
  <component>{body}</component>
</ClinicalDocument>""".encode()


def document_reference(**overrides: object) -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "11502-2",
                    "display": "CR d'examens biologiques",
                }
            ]
        },
        "subject": {"identifier": {"system": f"urn:oid:{TEST_INS_OID}", "value": PATIENT_INS}},
        "date": "2024-03-15T10:30:00+01:00",
        "author": [{"display": "Laboratoire des Charmes"}],
        "description": "Bilan thyroïdien",
        "content": [{"attachment": {"contentType": "application/pdf", "title": "bilan.pdf"}}],
    }
    resource.update(overrides)
    return resource


def as_json(obj: object) -> bytes:
    return json.dumps(obj).encode()


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _value in attrs)


def assert_whitelisted(html: str) -> None:
    collector = _TagCollector()
    collector.feed(html)
    assert collector.tags <= ALLOWED_TAGS, collector.tags - ALLOWED_TAGS
    assert collector.attributes <= ALLOWED_ATTRIBUTES, collector.attributes
    assert "<script" not in html.lower()


def sniffed(kind: str) -> Sniffed:
    return Sniffed(kind=kind, mime="x")  # type: ignore[arg-type]
