"""HL7 CDA R2 documents (French CI-SIS profiles): header, narrative text, embedded PDF.

The XML is parsed by :mod:`documents.ingestion.xml_safety` (no DTD, no entity, no
network, bounded depth and size). The header gives the title, the type code
(LOINC, or TRE_A05 for the VSM's ``SYNTH``), the author, the date and the
patient's INS; the body gives the search text: the title and narrative
``text`` of every section of a ``structuredBody``, or the content of a
``nonXMLBody`` (plain text, or a base64 PDF whose own text is extracted under
the same limits and checks as a deposited PDF).
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from documents.ingestion import xml_safety
from documents.ingestion._embedded import read_embedded
from documents.ingestion._ins import INS_OIDS, clean_ins
from documents.ingestion._text import TextBuffer
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed
from documents.ingestion.types import LOINC_OID, TRE_A05_OID, document_type_for_code

H = f"{{{xml_safety.HL7_NS}}}"
NS = {"hl7": xml_safety.HL7_NS}

# Narrative elements after which the flattened text breaks the line, or adds a space.
_LINE_BREAKING = frozenset(
    {"paragraph", "item", "tr", "list", "table", "caption", "thead", "tbody", "tfoot", "br"}
)
_LINE_ENDS = None  # str.split(None): any run of whitespace, line ends included
_SPACED = frozenset({"td", "th", "content", "linkHtml", "footnote", "sub", "sup"})


# At most this many files attached to entries are opened per document.
MAX_ATTACHED_MEDIA = 5


@dataclass
class CdaHeader:
    """What the CDA header says, as plain values (none of it trusted for access)."""

    title: str | None = None
    code: str | None = None
    code_system: str | None = None
    code_label: str | None = None
    effective: datetime.date | None = None
    author: str | None = None
    patient_ins: str | None = None
    patient_name: str | None = None
    notes: list[str] = field(default_factory=list)


def load(data: bytes, limits: Limits) -> etree._Element:
    """The root ``ClinicalDocument`` element, parsed safely, or ``Refused``."""
    root = xml_safety.parse(data, max_depth=limits.max_depth, max_nodes=limits.max_xml_nodes)
    if root.tag != xml_safety.CDA_ROOT:
        raise Refused(
            "cda_invalid",
            "Le document XML n'est pas un document CDA R2 (élément racine ClinicalDocument "
            "de l'espace de noms urn:hl7-org:v3 attendu).",
        )
    return root


def parse_cda(data: bytes, limits: Limits) -> Parsed:
    """Parse a CDA R2 document; see the module docstring for what is read.

    Raises ``Refused`` with ``xml_unsafe``, ``xml_invalid``, ``nesting_too_deep``,
    ``too_large`` (too many elements), ``cda_invalid`` (no body, bad base64),
    or any PDF refusal of an embedded PDF (its message prefixed).
    """
    root = load(data, limits)
    header = read_header(root)
    notes = header.notes
    text = TextBuffer()
    text.add(header.title)
    parsed = Parsed(
        title=header.title,
        type_code=header.code,
        type_label=header.code_label,
        author=header.author,
        effective=header.effective,
        patient_ins=header.patient_ins,
        notes=notes,
    )
    structured = root.find("hl7:component/hl7:structuredBody", NS)
    non_xml = root.find("hl7:component/hl7:nonXMLBody", NS)
    if structured is not None:
        for section in structured.iter(f"{H}section"):
            text.add(narrative_text(section.find("hl7:title", NS)))
            text.add(narrative_text(section.find("hl7:text", NS)))
            if text.full:
                notes.append("Texte tronqué (limite d'indexation).")
                break
        _read_attached_media(structured, limits, parsed, text)
    elif non_xml is not None:
        _read_non_xml_body(non_xml, limits, parsed, text)
    else:
        raise Refused(
            "cda_invalid",
            "Le document CDA n'a pas de corps (ni structuredBody ni nonXMLBody).",
        )
    parsed.text = text.text()
    return parsed


def read_header(root: etree._Element) -> CdaHeader:
    """Title, type code, date, first author, patient INS and name from the header."""
    header = CdaHeader()
    header.title = _text_of(root.find("hl7:title", NS))
    code = root.find("hl7:code", NS)
    if code is not None:
        header.code = (code.get("code") or "").strip() or None
        header.code_system = code.get("codeSystem")
        doc_type = document_type_for_code(header.code, header.code_system)
        header.code_label = (code.get("displayName") or "").strip() or (
            str(doc_type.label) if doc_type else None
        )
        if header.code and header.code_system not in (LOINC_OID, TRE_A05_OID):
            header.notes.append(
                f"Code de type {header.code} dans le système {header.code_system} "
                "(ni LOINC ni TRE_A05)."
            )
    effective = root.find("hl7:effectiveTime", NS)
    if effective is not None:
        header.effective = hl7_date(effective.get("value"), header.notes)
    header.author = _author(root)
    targets = root.findall("hl7:recordTarget/hl7:patientRole", NS)
    if len(targets) > 1:
        header.notes.append("Le document désigne plusieurs patients : seul le premier est lu.")
    if targets:
        role = targets[0]
        for identifier in role.findall("hl7:id", NS):
            if identifier.get("root") in INS_OIDS:
                header.patient_ins = clean_ins(identifier.get("extension"), header.notes)
                break
        header.patient_name = person_name(role.find("hl7:patient/hl7:name", NS))
    return header


def hl7_date(value: str | None, notes: list[str]) -> datetime.date | None:
    """The date of an HL7 TS value ``YYYYMMDD[HHMM[SS]][+ZZZZ]``, as written (no time zone shift)."""
    if not value:
        return None
    digits = value.strip()[:8]
    if len(digits) < 8 or not digits.isdigit():
        notes.append(f"Date du document incomplète ou illisible : {value[:30]}.")
        return None
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        notes.append(f"Date du document invalide : {value[:30]}.")
        return None


def person_name(name: etree._Element | None) -> str | None:
    """``prefix given family`` of an HL7 PN, preferring the used name (qualifier CL)."""
    if name is None:
        return None
    parts = [_pick(name, "prefix"), _pick(name, "given"), _pick(name, "family")]
    joined = " ".join(part for part in parts if part)
    return joined or _text_of(name)


def _pick(name: etree._Element, part: str) -> str | None:
    candidates = name.findall(f"hl7:{part}", NS)
    for qualifier in ("CL", None, "BR"):
        for candidate in candidates:
            if candidate.get("qualifier") == qualifier:
                return _text_of(candidate)
    return _text_of(candidates[0]) if candidates else None


def _author(root: etree._Element) -> str | None:
    assigned = root.find("hl7:author/hl7:assignedAuthor", NS)
    if assigned is None:
        return None
    person = person_name(assigned.find("hl7:assignedPerson/hl7:name", NS))
    organization = _text_of(assigned.find("hl7:representedOrganization/hl7:name", NS))
    joined = ", ".join(part for part in (person, organization) if part)
    return joined or None


def _text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text[:500] or None


def narrative_text(element: etree._Element | None) -> str:
    """The text of a narrative block, with line breaks after blocks and spaces between cells."""
    if element is None:
        return ""
    parts: list[str] = []
    _flatten(element, parts)
    return "".join(parts)


def _flatten(element: etree._Element, parts: list[str]) -> None:
    # Line breaks in the XML source are layout: only narrative blocks break lines.
    if element.text:
        parts.append(" ".join(element.text.split(_LINE_ENDS)))
    for child in element:
        name = xml_safety.local_name(child)
        if name:
            _flatten(child, parts)
            if name in _LINE_BREAKING:
                parts.append("\n")
            elif name in _SPACED:
                parts.append(" ")
        if child.tail:
            parts.append(" ".join(child.tail.split(_LINE_ENDS)))


def iter_sections(root: etree._Element) -> Iterator[tuple[int, etree._Element]]:
    """``(level, section)`` for every section of the structured body, in order (level 1 = top)."""
    body = root.find("hl7:component/hl7:structuredBody", NS)
    if body is None:
        return

    def walk(parent: etree._Element, level: int) -> Iterator[tuple[int, etree._Element]]:
        for section in parent.findall("hl7:component/hl7:section", NS):
            yield level, section
            yield from walk(section, level + 1)

    yield from walk(body, 1)


def _read_attached_media(
    body: etree._Element, limits: Limits, parsed: Parsed, text: TextBuffer
) -> None:
    """Files attached to entries (``observationMedia``), such as the PDF copy of a lab report.

    They go through the same checks as a deposit: a PDF with JavaScript
    refuses the whole document. Their text joins the search text and the
    first one with a preview gives the document's preview.
    """
    media = body.iterfind(".//hl7:observationMedia/hl7:value[@representation='B64']", NS)
    for count, value in enumerate(media):
        if count >= MAX_ATTACHED_MEDIA:
            parsed.notes.append(f"Au-delà de {MAX_ATTACHED_MEDIA} fichiers joints, rien n'est lu.")
            return
        media_type = (value.get("mediaType") or "").strip().lower()
        raw = _base64(value)
        embedded = read_embedded(
            raw, media_type, limits, where="au document CDA", invalid="cda_invalid"
        )
        if embedded is None:
            parsed.notes.append(f"Fichier joint de type {media_type or 'inconnu'} non lu.")
            continue
        text.add(embedded.text)
        parsed.notes.extend(embedded.notes)
        if parsed.preview_png is None and embedded.preview_png is not None:
            parsed.preview_png = embedded.preview_png
            parsed.page_count = embedded.page_count


def _base64(element: etree._Element) -> bytes:
    payload = "".join("".join(element.itertext()).split())
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Refused("cda_invalid", "Un contenu base64 du document CDA est invalide.") from error


def _read_non_xml_body(
    body: etree._Element, limits: Limits, parsed: Parsed, text: TextBuffer
) -> None:
    content = body.find("hl7:text", NS)
    if content is None:
        raise Refused("cda_invalid", "Le corps non structuré du document CDA est vide.")
    if content.find("hl7:reference", NS) is not None:
        parsed.notes.append("Le corps du document CDA est une référence externe : non suivie.")
        return
    media_type = (content.get("mediaType") or "text/plain").strip().lower()
    payload = "".join(content.itertext())
    if (content.get("representation") or "TXT").upper() == "B64":
        raw = _base64(content)
    else:
        raw = payload.encode("utf-8")
    embedded = read_embedded(
        raw, media_type, limits, where="au document CDA", invalid="cda_invalid"
    )
    if embedded is None:
        parsed.notes.append(f"Corps non structuré de type {media_type} non lu.")
        return
    text.add(embedded.text)
    parsed.page_count = embedded.page_count
    parsed.preview_png = embedded.preview_png
    parsed.notes.extend(embedded.notes)
