"""The pure parts of ingestion: sniffing, limits, parsing and safe rendering.

No database: every test works on bytes built here or read from the ANS
sample CDA documents in ``fixtures/``.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import struct
import time
import zipfile
import zlib
from array import array
from html.parser import HTMLParser
from pathlib import Path

import pydicom
import pytest
from django.utils.html import escape
from lxml import etree
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from pypdf import PdfReader, PdfWriter

from documents.ingestion import (
    DocumentType,
    Limits,
    Parsed,
    Refused,
    Sniffed,
    _xml,
    cda_to_html,
    check_limits,
    document_type_for_code,
    fhir_to_html,
    parse,
    sniff,
)
from documents.ingestion import pdf as pdf_module
from documents.ingestion.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from documents.ingestion.types import LOINC_OID, TRE_A05_OID

FIXTURES = Path(__file__).parent / "fixtures"
PATIENT_INS = "279035121518989"
TEST_INS_OID = "1.2.250.1.213.1.4.10"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- builders -----------------------------------------------------------------


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


# --- the ANS sample CDA documents ----------------------------------------------

SAMPLES = [
    ("BIO-CR-BIO_2024.01_TSH_1.xml", "11502-2", "Compte rendu d'examens biologiques", "BIOCHIMIE"),
    (
        "IMG_CR_IMG_2024.01.xml",
        "18748-4",
        "CR d’imagerie médicale - Scanner Tête + Cou + Thorax avec injection",
        "Technique d’imagerie",
    ),
    (
        "LDL-SES_2022.01.xml",
        "11490-0",
        "Lettre de liaison à la sortie de l'établissement de santé",
        "Motif de l'hospitalisation",
    ),
    ("VAC-NOTE_2023.01.xml", "87273-9", "NOTE DE VACCINATION", "Note de vaccination"),
    (
        "VSM_1.4_2022.01.xml",
        "SYNTH",
        "Synthèse Médicale",
        "Pathologie en cours, antécédents, allergies et facteurs de risques",
    ),
]


@pytest.mark.parametrize(("name", "code", "title", "section"), SAMPLES)
def test_sample_cda_parses_with_its_type_title_ins_and_text(
    name: str, code: str, title: str, section: str
) -> None:
    data = fixture(name)
    kind = sniff(data, declared_mime="text/xml", filename=name)
    assert kind == Sniffed(kind="cda", mime="text/xml")

    parsed = parse(data, kind, Limits())

    assert parsed.type_code == code
    assert parsed.title == title
    assert parsed.patient_ins == PATIENT_INS
    assert section in parsed.text
    assert len(parsed.text) > 200
    assert isinstance(parsed.effective, datetime.date)
    assert parsed.author


@pytest.mark.parametrize(("name", "code", "title", "section"), SAMPLES)
def test_sample_cda_renders_to_whitelisted_html_with_its_sections(
    name: str, code: str, title: str, section: str
) -> None:
    html = cda_to_html(fixture(name))

    assert f"<h1>{escape(title)}</h1>" in html
    assert escape(section) in html
    assert "PAT-TROIS" in html
    assert_whitelisted(html)


@pytest.mark.parametrize(("name", "code", "title", "section"), SAMPLES)
def test_sample_cda_type_maps_to_a_document_type(
    name: str, code: str, title: str, section: str
) -> None:
    assert document_type_for_code(code) is not None


def test_vsm_header_reads_author_date_and_used_patient_name() -> None:
    parsed = parse(fixture("VSM_1.4_2022.01.xml"), sniffed("cda"), Limits())

    assert parsed.author == "M Stéphane MEDIONI, Centre de soins le Belvédère"
    assert parsed.effective == datetime.date(2020, 3, 12)
    assert parsed.type_label == "Synthèse"
    assert document_type_for_code("SYNTH", TRE_A05_OID) is DocumentType.SYNTHESE_MEDICALE


def test_lab_report_attached_pdf_copy_gives_text_and_preview() -> None:
    """GIVEN the BIO sample, whose last section attaches the PDF copy of the report
    WHEN it is parsed
    THEN that PDF's text joins the search text and its first page is the preview."""
    parsed = parse(fixture("BIO-CR-BIO_2024.01_TSH_1.xml"), sniffed("cda"), Limits())

    assert parsed.preview_png is not None
    assert parsed.preview_png.startswith(PNG_SIGNATURE)
    assert parsed.page_count == 3


# --- CDA: hostile XML and narrative ----------------------------------------------


def test_xxe_reading_etc_passwd_is_refused_and_never_expanded() -> None:
    payload = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"""

    with pytest.raises(Refused) as refused:
        sniff(payload)
    assert refused.value.code == "xml_unsafe"
    with pytest.raises(Refused) as refused_parse:
        parse(payload, sniffed("cda"), Limits())
    assert refused_parse.value.code == "xml_unsafe"
    with pytest.raises(Refused):
        cda_to_html(payload)
    assert "root:" not in refused.value.message + refused_parse.value.message


def test_hardened_parser_alone_never_reads_an_external_entity(tmp_path: Path) -> None:
    """GIVEN an XXE payload pointing at a file holding a secret
    WHEN it reaches the lxml parser itself (past the DOCTYPE refusal)
    THEN the parser asks for no external resource and the secret never appears,
    and the document is still refused for carrying a DTD."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-42")
    payload = f"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file://{secret}">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>""".encode()

    class Spy(etree.Resolver):
        def __init__(self) -> None:
            super().__init__()
            self.requested: list[str] = []

        def resolve(self, url: str, pubid: str, context: object) -> None:
            self.requested.append(url)

    parser = _xml._parser()
    spy = Spy()
    parser.resolvers.add(spy)
    root = etree.fromstring(payload, parser)

    assert spy.requested == []
    assert b"SECRET-MARKER-42" not in etree.tostring(root)


def test_dtd_that_slips_past_the_byte_scan_is_refused_after_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_xml, "check_declarations", lambda data: None)
    payload = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY x "y">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>"""

    with pytest.raises(Refused) as refused:
        _xml.parse(payload, max_depth=64, max_nodes=1000)

    assert refused.value.code == "xml_unsafe"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>"""


def test_billion_laughs_is_refused_quickly_without_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(Refused) as refused:
        parse(BILLION_LAUGHS, sniffed("cda"), Limits())
    assert refused.value.code == "xml_unsafe"
    with pytest.raises(Refused):
        sniff(BILLION_LAUGHS)
    # Even past the byte scan, the parser neither expands nor hangs.
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(BILLION_LAUGHS, _xml._parser())
    assert time.perf_counter() - start < 1


def test_deeply_nested_xml_is_refused() -> None:
    deep = "<paragraph>" * 80 + "x" + "</paragraph>" * 80
    data = minimal_cda(
        f"<structuredBody><component><section><text>{deep}</text></section></component></structuredBody>"
    )

    with pytest.raises(Refused) as refused:
        parse(data, sniffed("cda"), Limits())

    assert refused.value.code == "nesting_too_deep"


def test_xml_with_too_many_elements_is_refused() -> None:
    items = "<br/>" * 300
    data = minimal_cda(
        f"<structuredBody><component><section><text>{items}</text></section></component></structuredBody>"
    )

    with pytest.raises(Refused) as refused:
        parse(data, sniffed("cda"), Limits(max_xml_nodes=200))

    assert refused.value.code == "too_large"


def test_cda_without_body_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse(minimal_cda(""), sniffed("cda"), Limits())
    assert refused.value.code == "cda_invalid"


def test_hostile_narrative_renders_as_escaped_text_only() -> None:
    """GIVEN a section narrative with a link, styles, an event handler, markup in
    text and multimedia
    WHEN it is rendered
    THEN only whitelisted tags remain, without URLs, styles or handlers."""
    narrative = """
      <paragraph styleCode="Bold" onclick="steal()">Tension &lt;script&gt;alert(1)&lt;/script&gt;</paragraph>
      <linkHtml href="javascript:alert(2)">voir le site</linkHtml>
      <content styleCode="Bold Italics" style="color:red">important</content>
      <renderMultiMedia referencedObject="img1"/>
      <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>
      <list listType="ordered"><caption>Traitements</caption><item>Amoxicilline</item></list>
      <table border="1" style="width:100%"><caption>Mesures</caption>
        <thead><tr><th colspan="2">Examen</th></tr></thead>
        <tbody><tr><td rowspan="x&quot; onmouseover=&quot;x">TSH</td><td colspan="3">1,9</td></tr></tbody>
      </table>"""
    data = minimal_cda(
        "<structuredBody><component><section><title>Examen &lt;b&gt;clinique&lt;/b&gt;</title>"
        f"<text>{narrative}</text></section></component></structuredBody>"
    )

    html = cda_to_html(data)

    assert_whitelisted(html)
    assert "javascript:" not in html
    assert "href" not in html
    assert "style" not in html
    assert "onclick" not in html and "onmouseover" not in html
    assert "root:" not in html and "passwd" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "voir le site" in html
    assert "<strong><em>important</em></strong>" in html
    assert "<ol><li>Amoxicilline</li></ol>" in html
    assert '<th colspan="2">' in html and '<td colspan="3">' in html
    assert "<h2>Examen &lt;b&gt;clinique&lt;/b&gt;</h2>" in html


def test_cda_with_embedded_pdf_body_takes_the_pdf_text() -> None:
    payload = base64.b64encode(build_pdf("Lettre de sortie")).decode()
    data = minimal_cda(
        f'<nonXMLBody><text mediaType="application/pdf" representation="B64">{payload}</text></nonXMLBody>'
    )

    parsed = parse(data, sniffed("cda"), Limits())

    assert "Lettre de sortie page 1" in parsed.text
    assert parsed.page_count == 1
    assert parsed.preview_png is not None
    assert "fichier intégré" in cda_to_html(data)


def test_cda_embedding_a_pdf_with_javascript_is_refused() -> None:
    hostile = build_pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    payload = base64.b64encode(hostile).decode()
    data = minimal_cda(
        f'<nonXMLBody><text mediaType="application/pdf" representation="B64">{payload}</text></nonXMLBody>'
    )

    with pytest.raises(Refused) as refused:
        parse(data, sniffed("cda"), Limits())

    assert refused.value.code == "pdf_javascript"
    assert "intégré au document CDA" in refused.value.message


def test_cda_with_an_invalid_ins_still_reports_it_for_the_patient_match() -> None:
    data = minimal_cda("<structuredBody/>").replace(PATIENT_INS.encode(), b"279035121518900")

    parsed = parse(data, sniffed("cda"), Limits())

    assert parsed.patient_ins == "279035121518900"
    assert any("INS" in note for note in parsed.notes)


def test_xml_that_is_not_cda_is_an_unknown_type() -> None:
    with pytest.raises(Refused) as refused:
        sniff(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')
    assert refused.value.code == "type_unknown"


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
    assert not pdf_module._raw_javascript(data)

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
    assert pdf_module._raw_javascript(b"1 0 obj << /S /JavaScript >> endobj")
    assert not pdf_module._raw_javascript(
        b"1 0 obj << /Length 36 >>\nstream\n" + content + b"\nendstream\nendobj\n"
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
