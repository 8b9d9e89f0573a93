"""Ingestion of CDA documents: the ANS samples, hostile XML and narrative.

No database: every test works on bytes built by ``ingestion_builders.py``
or read from the ANS sample CDA documents in ``fixtures/``.
"""

from __future__ import annotations

import base64
import datetime
import time
from pathlib import Path

import pytest
from django.utils.html import escape
from lxml import etree

from documents.ingestion import (
    DocumentType,
    Limits,
    Refused,
    Sniffed,
    cda_to_html,
    document_type_for_code,
    parse,
    sniff,
    xml_safety,
)
from documents.ingestion.types import TRE_A05_OID
from tests.documents.ingestion_builders import (
    PATIENT_INS,
    PNG_SIGNATURE,
    assert_whitelisted,
    build_pdf,
    fixture,
    minimal_cda,
    sniffed,
)

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

    parser = xml_safety.safe_parser()
    spy = Spy()
    parser.resolvers.add(spy)
    root = etree.fromstring(payload, parser)

    assert spy.requested == []
    assert b"SECRET-MARKER-42" not in etree.tostring(root)


def test_dtd_that_slips_past_the_byte_scan_is_refused_after_parsing() -> None:
    """GIVEN a document whose DTD got past the byte scan, read by the hardened
    parser (which keeps the DTD but expands nothing)
    WHEN the parsed tree is checked
    THEN it is refused for carrying a DTD."""
    payload = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY x "y">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>"""
    root = etree.fromstring(payload, xml_safety.safe_parser())

    with pytest.raises(Refused) as refused:
        xml_safety.check_tree(root, max_depth=64, max_nodes=1000)

    assert refused.value.code == "xml_unsafe"
    assert b"<title>y</title>" not in etree.tostring(root)


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
        etree.fromstring(BILLION_LAUGHS, xml_safety.safe_parser())
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
