"""Safe HTML views of CDA and FHIR documents.

The HTML is built from a closed set of tags (:data:`ALLOWED_TAGS`), with no
attribute but ``colspan`` and ``rowspan`` (integers), and every piece of text
from the document escaped. Links (``linkHtml``) become their text,
multimedia (``renderMultiMedia``) is dropped, and no style, class, URL or
script can come from the document. The result is marked safe for templates.

Both functions parse the document again with the same protections as
ingestion, so they raise :class:`~documents.ingestion.errors.Refused` on a
document that ingestion would have refused.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from lxml import etree

from documents.ingestion import cda, fhir, xml_safety
from documents.ingestion.limits import Limits

ALLOWED_TAGS = frozenset(
    {
        "article",
        "header",
        "section",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dl",
        "dt",
        "dd",
        "p",
        "ul",
        "ol",
        "li",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "br",
        "strong",
        "em",
        "u",
        "sub",
        "sup",
        "small",
    }
)
ALLOWED_ATTRIBUTES = frozenset({"colspan", "rowspan"})

# CDA narrative element → HTML tag, for the elements that map one to one.
_NARRATIVE_TAGS = {
    "paragraph": "p",
    "thead": "thead",
    "tbody": "tbody",
    "tfoot": "tfoot",
    "tr": "tr",
    "th": "th",
    "td": "td",
    "item": "li",
    "sub": "sub",
    "sup": "sup",
    "footnote": "small",
}
_STYLE_TAGS = (("bold", "strong"), ("italics", "em"), ("underline", "u"))
_DROPPED = frozenset({"renderMultiMedia", "colgroup", "col", "footnoteRef"})
# Elements whose own whitespace text is layout, not content.
_STRUCTURAL = frozenset({"table", "thead", "tbody", "tfoot", "tr", "list"})

_STATUS_LABELS = {
    "current": "à jour",
    "superseded": "remplacé",
    "entered-in-error": "saisi par erreur",
    "preliminary": "provisoire",
    "final": "définitif",
    "amended": "modifié",
}


class _Html:
    """An HTML string under construction: tags are constants, text is escaped."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def open(self, tag: str, attributes: str = "") -> None:
        self.parts.append(f"<{tag}{attributes}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def text(self, value: str | None) -> None:
        if value:
            self.parts.append(escape(value))

    def element(self, tag: str, value: str | None) -> None:
        self.open(tag)
        self.text(value)
        self.close(tag)

    def definitions(self, rows: list[tuple[str, str | None]]) -> None:
        rows = [(label, value) for label, value in rows if value]
        if not rows:
            return
        self.open("dl")
        for label, value in rows:
            self.element("dt", label)
            self.element("dd", value)
        self.close("dl")

    def safe(self) -> SafeString:
        # Every fragment above is a constant tag or escaped text.
        return mark_safe("".join(self.parts))  # noqa: S308


def _french_date(value: datetime.date | None) -> str | None:
    return value.strftime("%d/%m/%Y") if value else None


# --- CDA ---------------------------------------------------------------------


def cda_to_html(data: bytes) -> SafeString:
    """The header summary and every section (title and narrative) of a CDA R2 document."""
    root = cda.load(data, Limits())
    header = cda.read_header(root)
    html = _Html()
    html.open("article")
    html.open("header")
    html.element("h1", header.title or "Document CDA")
    patient = header.patient_name
    if header.patient_ins:
        patient = f"{patient or ''} (INS {header.patient_ins})".strip()
    html.definitions(
        [
            ("Patient", patient),
            ("Auteur", header.author),
            ("Date", _french_date(header.effective)),
            ("Type de document", header.code_label),
        ]
    )
    html.close("header")
    body = root.find("hl7:component/hl7:structuredBody", cda.NS)
    if body is not None:
        for section in body.findall("hl7:component/hl7:section", cda.NS):
            _section(section, 1, html)
    else:
        content = root.find("hl7:component/hl7:nonXMLBody/hl7:text", cda.NS)
        media_type = content.get("mediaType") if content is not None else None
        html.element(
            "p",
            f"Le contenu de ce document est un fichier intégré ({media_type or 'text/plain'}) "
            "qui n'est pas affiché ici.",
        )
    html.close("article")
    return html.safe()


def _section(section: etree._Element, level: int, html: _Html) -> None:
    html.open("section")
    title = cda.narrative_text(section.find("hl7:title", cda.NS))
    if title.strip():
        html.element(f"h{min(level + 1, 6)}", " ".join(title.split()))
    text = section.find("hl7:text", cda.NS)
    if text is not None:
        html.open("div")
        _children(text, html)
        html.close("div")
    for child in section.findall("hl7:component/hl7:section", cda.NS):
        _section(child, level + 1, html)
    html.close("section")


def _children(element: etree._Element, html: _Html) -> None:
    structural = xml_safety.local_name(element) in _STRUCTURAL
    if element.text and not (structural and element.text.isspace()):
        html.text(element.text)
    for child in element:
        _narrative(child, html)
        if child.tail and not (structural and child.tail.isspace()):
            html.text(child.tail)


def _narrative(element: etree._Element, html: _Html) -> None:
    name = xml_safety.local_name(element)
    if not name or name in _DROPPED:
        return
    if name == "br":
        html.open("br")
    elif name == "table":
        _table(element, html)
    elif name == "list":
        _list(element, html)
    elif name == "caption":
        html.open("strong")
        _children(element, html)
        html.close("strong")
    elif name == "content":
        _content(element, html)
    elif name in _NARRATIVE_TAGS:
        tag = _NARRATIVE_TAGS[name]
        html.open(tag, _span_attributes(element) if tag in ("td", "th") else "")
        _children(element, html)
        html.close(tag)
    else:
        # linkHtml and anything unknown: the text, without the element.
        _children(element, html)


def _span_attributes(cell: etree._Element) -> str:
    attributes = ""
    for name in ("colspan", "rowspan"):
        value = (cell.get(name) or "").strip()
        if value.isdigit() and 1 < int(value) <= 1000:
            attributes += f' {name}="{int(value)}"'
    return attributes


def _table(table: etree._Element, html: _Html) -> None:
    html.open("table")
    for caption in table.findall("hl7:caption", cda.NS):
        html.open("caption")
        _children(caption, html)
        html.close("caption")
    for child in table:
        if xml_safety.local_name(child) != "caption":
            _narrative(child, html)
    html.close("table")


def _list(element: etree._Element, html: _Html) -> None:
    for caption in element.findall("hl7:caption", cda.NS):
        html.open("p")
        html.open("strong")
        _children(caption, html)
        html.close("strong")
        html.close("p")
    tag = "ol" if (element.get("listType") or "").lower() == "ordered" else "ul"
    html.open(tag)
    for child in element:
        name = xml_safety.local_name(child)
        if name == "item":
            _narrative(child, html)
        elif name and name != "caption":
            html.open("li")
            _narrative(child, html)
            html.close("li")
    html.close(tag)


def _content(element: etree._Element, html: _Html) -> None:
    styles = (element.get("styleCode") or "").lower().split()
    tags = [tag for style, tag in _STYLE_TAGS if style in styles]
    for tag in tags:
        html.open(tag)
    _children(element, html)
    for tag in reversed(tags):
        html.close(tag)


# --- FHIR --------------------------------------------------------------------


def fhir_to_html(data: bytes) -> SafeString:
    """A readable summary of a FHIR DocumentReference, or of each entry of a Bundle."""
    resource = fhir.load_resource(data, Limits())
    index = fhir.ResourceIndex(resource)
    html = _Html()
    html.open("article")
    if resource["resourceType"] == "DocumentReference":
        _document_reference(resource, index, html)
    else:
        _bundle(resource, index, html)
    html.close("article")
    return html.safe()


def _fhir_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _french_date(fhir.fhir_date(value)) or value


def _status(value: Any) -> str | None:
    return _STATUS_LABELS.get(value, value) if isinstance(value, str) else None


def _document_reference(resource: dict[str, Any], index: fhir.ResourceIndex, html: _Html) -> None:
    _, type_label = fhir.type_of(resource.get("type"))
    html.open("header")
    html.element("h1", type_label or "Document (FHIR DocumentReference)")
    html.close("header")
    html.definitions(
        [
            ("Statut", _status(resource.get("status"))),
            ("Type", fhir.concept_text(resource.get("type"))),
            ("Patient", fhir.reference_text(resource.get("subject"), index)),
            ("Date", _fhir_date(resource.get("date"))),
            ("Auteur", _authors(resource.get("author"), index)),
            ("Description", resource.get("description")),
        ]
    )
    contents = resource.get("content") or []
    if contents:
        html.element("h2", "Pièces jointes")
        html.open("ul")
        for content in contents:
            attachment = content.get("attachment") or {}
            details = [attachment.get("contentType"), _size(attachment.get("size"))]
            label = attachment.get("title") or "Sans titre"
            extra = ", ".join(str(d) for d in details if d)
            html.element("li", f"{label} ({extra})" if extra else label)
        html.close("ul")


def _authors(references: Any, index: fhir.ResourceIndex) -> str | None:
    names = [fhir.reference_text(reference, index) for reference in references or []]
    return ", ".join(name for name in names if name) or None


def _size(value: Any) -> str | None:
    return f"{value} octets" if isinstance(value, int) else None


def _bundle(resource: dict[str, Any], index: fhir.ResourceIndex, html: _Html) -> None:
    html.open("header")
    html.element("h1", f"Ensemble de ressources FHIR ({resource.get('type', 'type inconnu')})")
    html.close("header")
    entries = [
        entry.get("resource")
        for entry in resource.get("entry") or []
        if isinstance(entry.get("resource"), dict)
    ]
    if not entries:
        html.element("p", "Cet ensemble ne contient aucune ressource.")
        return
    html.open("ol")
    for entry in entries:
        html.open("li")
        html.element("strong", str(entry.get("resourceType")))
        if entry.get("id"):
            html.text(f" {entry['id']}")
        summary = _entry_summary(entry, index)
        if summary:
            html.open("br")
            html.text(" ; ".join(f"{label} : {value}" for label, value in summary))
        html.close("li")
    html.close("ol")


def _entry_summary(entry: dict[str, Any], index: fhir.ResourceIndex) -> list[tuple[str, str]]:
    kind = entry.get("resourceType")
    rows: list[tuple[str, str | None]]
    if kind == "Patient":
        ins = ", ".join(sorted(fhir.ins_of(entry.get("identifier")))) or None
        rows = [
            ("Nom", fhir.human_name(entry.get("name"))),
            ("Naissance", _fhir_date(entry.get("birthDate"))),
            ("INS", ins),
        ]
    elif kind in ("Practitioner", "RelatedPerson"):
        rows = [("Nom", fhir.human_name(entry.get("name")))]
    elif kind == "Organization":
        rows = [("Nom", entry.get("name"))]
    elif kind == "Composition":
        rows = [
            ("Titre", entry.get("title")),
            ("Type", fhir.concept_text(entry.get("type"))),
            ("Date", _fhir_date(entry.get("date"))),
            ("Statut", _status(entry.get("status"))),
        ]
    elif kind == "DocumentReference":
        rows = [
            ("Type", fhir.concept_text(entry.get("type"))),
            ("Date", _fhir_date(entry.get("date"))),
            ("Description", entry.get("description")),
        ]
    elif kind == "Observation":
        rows = [
            ("Examen", fhir.concept_text(entry.get("code"))),
            ("Résultat", _observation_value(entry)),
            ("Date", _fhir_date(entry.get("effectiveDateTime"))),
        ]
    elif kind == "Immunization":
        rows = [
            ("Vaccin", fhir.concept_text(entry.get("vaccineCode"))),
            ("Date", _fhir_date(entry.get("occurrenceDateTime"))),
        ]
    elif kind in ("MedicationStatement", "MedicationRequest"):
        rows = [
            (
                "Médicament",
                fhir.concept_text(entry.get("medicationCodeableConcept"))
                or fhir.reference_text(entry.get("medicationReference"), index),
            ),
            ("Statut", _status(entry.get("status"))),
        ]
    elif kind in ("Condition", "AllergyIntolerance", "Procedure"):
        rows = [("Libellé", fhir.concept_text(entry.get("code")))]
    else:
        rows = []
    found = [(label, " ".join(str(value).split())[:300]) for label, value in rows if value]
    narrative = (entry.get("text") or {}).get("div")
    if not found and isinstance(narrative, str):
        found = [("Texte", " ".join(fhir.div_text(narrative).split())[:300])]
    return found


def _observation_value(entry: dict[str, Any]) -> str | None:
    quantity = entry.get("valueQuantity")
    if isinstance(quantity, dict) and quantity.get("value") is not None:
        return f"{quantity['value']} {quantity.get('unit') or quantity.get('code') or ''}".strip()
    if isinstance(entry.get("valueString"), str):
        return str(entry["valueString"])
    return fhir.concept_text(entry.get("valueCodeableConcept"))
