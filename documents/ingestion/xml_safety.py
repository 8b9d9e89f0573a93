"""Hardened XML parsing shared by sniffing, CDA parsing and CDA rendering.

Three layers, each enough on its own against XXE and entity expansion:

1. before any parser sees the bytes, a document that contains a DOCTYPE or any
   other markup declaration (``<!ENTITY``, ``<!ELEMENT``…) is refused: a CDA
   document never needs one, and refusing it means no entity is ever declared,
   let alone expanded or fetched (:func:`check_declarations`);
2. the lxml parser is configured to resolve no entity, load no DTD, touch no
   network and refuse huge trees (:func:`safe_parser`);
3. after parsing, a document that still carries a DTD is refused, and the
   element depth and count are bounded (:func:`check_tree`).

:func:`parse` applies all three.

Only ASCII-compatible encodings are accepted, so that the byte scan of layer 1
sees every declaration (a UTF-16 document could hide ``<!DOCTYPE`` from it).
"""

from __future__ import annotations

import re

from lxml import etree

from documents.ingestion.errors import Refused

HL7_NS = "urn:hl7-org:v3"
CDA_ROOT = f"{{{HL7_NS}}}ClinicalDocument"

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']"
)
_ACCEPTED_ENCODINGS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "iso-8859-15", "windows-1252"}
)


def safe_parser() -> etree.XMLParser:
    """A fresh lxml parser with layer 2 on: no entity resolved, no DTD loaded, no network.

    One per document: lxml parsers must not be shared across threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
        collect_ids=False,
    )


def check_declarations(data: bytes) -> None:
    """Refuse markup declarations and encodings the byte scan cannot see through.

    Raises ``Refused("xml_unsafe")`` or ``Refused("xml_invalid")``.
    """
    match = _XML_DECL_ENCODING.match(data)
    if match:
        encoding = match.group(1).decode("ascii").lower()
        if encoding not in _ACCEPTED_ENCODINGS:
            raise Refused(
                "xml_invalid",
                f"L'encodage XML « {encoding} » n'est pas accepté : enregistrez le document en UTF-8.",
            )
    if _DECLARATION.search(data):
        raise Refused(
            "xml_unsafe",
            "Le document XML contient une déclaration DOCTYPE ou ENTITY : ces déclarations "
            "permettent des attaques (lecture de fichiers, expansion d'entités) et ne sont "
            "jamais nécessaires dans un document CDA.",
        )


def _syntax_message(error: etree.XMLSyntaxError) -> str:
    line = getattr(error, "lineno", None)
    where = f" (ligne {line})" if line else ""
    return f"Le document XML est mal formé{where} : {error.msg}."


def root_tag(data: bytes) -> str:
    """The Clark name (``{namespace}local``) of the root element.

    Reads only as much of ``data`` as needed to reach the root start tag.
    Raises ``Refused`` as :func:`check_declarations`, or ``"xml_invalid"`` if
    no root element can be read.
    """
    check_declarations(data)
    pull = etree.XMLPullParser(
        events=("start",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )
    chunk = 64 * 1024
    try:
        for offset in range(0, len(data), chunk):
            pull.feed(data[offset : offset + chunk])
            for _event, element in pull.read_events():
                return str(element.tag)
        pull.close()
    except etree.XMLSyntaxError as error:
        raise Refused("xml_invalid", _syntax_message(error)) from error
    raise Refused("xml_invalid", "Le document XML n'a pas d'élément racine.")


def parse(data: bytes, *, max_depth: int, max_nodes: int) -> etree._Element:
    """Parse ``data`` with every protection on and return the root element.

    Raises ``Refused`` with ``"xml_unsafe"``, ``"xml_invalid"``,
    ``"nesting_too_deep"`` or ``"too_large"`` (too many elements).
    """
    check_declarations(data)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise Refused("xml_invalid", _syntax_message(error)) from error
    check_tree(root, max_depth=max_depth, max_nodes=max_nodes)
    return root


def check_tree(root: etree._Element, *, max_depth: int, max_nodes: int) -> None:
    """Layer 3, on a parsed tree: refuse a DTD that got through, and bound depth and size.

    Raises ``Refused`` with ``"xml_unsafe"``, ``"nesting_too_deep"`` or ``"too_large"``.
    """
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise Refused("xml_unsafe", "Le document XML contient une DTD : elle n'est pas acceptée.")
    depth = 0
    nodes = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        nodes += 1
        if depth > max_depth:
            raise Refused(
                "nesting_too_deep",
                f"Le document XML imbrique plus de {max_depth} niveaux d'éléments : "
                "il n'est pas accepté.",
            )
        if nodes > max_nodes:
            raise Refused(
                "too_large",
                f"Le document XML contient plus de {max_nodes} éléments : il n'est pas accepté.",
            )


def local_name(element: etree._Element) -> str:
    """The tag without its namespace, or ``""`` for comments and the like."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]
