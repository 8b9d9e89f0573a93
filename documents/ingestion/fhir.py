"""FHIR R4 JSON documents: a DocumentReference or a Bundle.

Validation uses the pydantic models of fhir.resources. Version 8 of that
library ships FHIR R5 as its default package and R4B (4.3.0) as
``fhir.resources.R4B``; it has no R4 (4.0.1) package. R4B differs from R4
only in the medication-definition, evidence and subscription resources, so
R4 DocumentReference and Bundle JSON (and the clinical resources found in
document bundles) validate against the R4B models; a bundle that carries a
resource R4B removed (``MedicinalProduct``…) is refused as invalid.

Before validation, the JSON is read with duplicate keys and NaN refused (two
readers could disagree on them) and its nesting is bounded by
``Limits.max_depth``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

from documents.ingestion import xml_safety
from documents.ingestion._embedded import read_embedded
from documents.ingestion._ins import INS_FHIR_SYSTEMS, clean_ins
from documents.ingestion._text import TextBuffer
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed
from documents.ingestion.types import LOINC_SYSTEMS, TRE_A05_SYSTEMS

JsonObject = dict[str, Any]

# At most this many embedded files (attachments, Binary) are opened per document.
MAX_EMBEDDED_FILES = 10

_TAG = re.compile(r"<[^>]*>")


class _DuplicateKeyError(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    result: JsonObject = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"clé « {key[:60]} » en double")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"valeur {name} interdite en JSON")


def load_json(data: bytes, limits: Limits) -> JsonObject:
    """The top-level JSON object of ``data``, read strictly and bounded in depth.

    Raises ``Refused`` with ``nesting_too_deep`` or ``fhir_invalid``.
    """
    try:
        obj = json.loads(
            data.decode("utf-8-sig"),
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_no_constant,
        )
    except RecursionError as error:
        raise _too_deep(limits) from error
    except UnicodeDecodeError as error:
        raise Refused("fhir_invalid", "Le document JSON n'est pas encodé en UTF-8.") from error
    except ValueError as error:
        raise Refused("fhir_invalid", f"Le document JSON est invalide : {error}.") from error
    if not isinstance(obj, dict):
        raise Refused("fhir_invalid", "Le document JSON n'est pas un objet FHIR.")
    # Iterative walk: the depth of a validated document is known before any recursion.
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.max_depth:
            raise _too_deep(limits)
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return obj


def _too_deep(limits: Limits) -> Refused:
    return Refused(
        "nesting_too_deep",
        f"Le document JSON imbrique plus de {limits.max_depth} niveaux : il n'est pas accepté.",
    )


def validate(obj: JsonObject) -> None:
    """Validate a DocumentReference or Bundle against the FHIR R4B models.

    Raises ``Refused("fhir_invalid")`` naming the first error's location.
    """
    # Imported here: the models take a third of a second to import.
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference
    from pydantic import ValidationError

    resource_type = obj.get("resourceType")
    models: dict[str, Any] = {"DocumentReference": DocumentReference, "Bundle": Bundle}
    model = models.get(resource_type) if isinstance(resource_type, str) else None
    if model is None:
        raise Refused(
            "fhir_invalid",
            "La ressource FHIR doit être un DocumentReference ou un Bundle.",
        )
    try:
        model.model_validate(obj)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first.get("loc", ())) or resource_type
        message = " ".join(str(first.get("msg", "")).split())[:200]
        raise Refused(
            "fhir_invalid",
            f"La ressource FHIR {resource_type} n'est pas valide (FHIR R4) : "
            f"{location} : {message}",
        ) from error
    except MemoryError:
        raise
    except Exception as error:
        # The models raise more than ValidationError on odd input (recursion, type errors).
        raise Refused(
            "fhir_invalid",
            f"La ressource FHIR {resource_type} n'est pas valide : {str(error)[:200]}",
        ) from error


def load_resource(data: bytes, limits: Limits) -> JsonObject:
    """Read and validate ``data``: the JSON object of a valid DocumentReference or Bundle."""
    obj = load_json(data, limits)
    validate(obj)
    return obj


def parse_fhir(data: bytes, limits: Limits) -> Parsed:
    """Parse a FHIR R4 DocumentReference or Bundle; see the module docstring.

    For a Bundle, the header fields come from its Composition (a document
    bundle) or else its first DocumentReference; a Bundle that names two
    different INS is refused (``fhir_invalid``): one deposit, one patient.
    Inline PDF attachments (and Binary resources) have their text extracted
    under the same checks as a deposited PDF.
    """
    resource = load_resource(data, limits)
    parsed = Parsed()
    index = ResourceIndex(resource)
    if resource["resourceType"] == "DocumentReference":
        _read_document_reference(resource, parsed, index)
        ins_values = _subject_ins(resource, index)
    else:
        ins_values = set()
        composition = index.first("Composition")
        reference = index.first("DocumentReference")
        if composition is not None:
            _read_composition(composition, parsed, index)
        elif reference is not None:
            _read_document_reference(reference, parsed, index)
        for entry in index.resources:
            if entry.get("resourceType") == "Patient":
                ins_values |= ins_of(entry.get("identifier"))
            if entry.get("resourceType") in ("Composition", "DocumentReference"):
                ins_values |= _subject_ins(entry, index)
    if len(ins_values) > 1:
        raise Refused(
            "fhir_invalid",
            "Le document FHIR concerne plusieurs patients (INS différents) : déposez un "
            "document par patient.",
        )
    parsed.patient_ins = clean_ins(next(iter(ins_values)), parsed.notes) if ins_values else None
    text = TextBuffer()
    text.add(parsed.title)
    text.extend(_texts(resource))
    _read_embedded_files(resource, limits, parsed, text)
    parsed.text = text.text()
    return parsed


class ResourceIndex:
    """The resources of a document and of its bundle entries, by reference."""

    def __init__(self, root: JsonObject) -> None:
        self.resources: list[JsonObject] = []
        self._by_reference: dict[str, JsonObject] = {}
        self._add(root, None)
        if root.get("resourceType") == "Bundle":
            for entry in root.get("entry") or []:
                resource = entry.get("resource")
                if isinstance(resource, dict):
                    self._add(resource, entry.get("fullUrl"))

    def _add(self, resource: JsonObject, full_url: str | None) -> None:
        self.resources.append(resource)
        if full_url:
            self._by_reference[full_url] = resource
        if resource.get("id"):
            self._by_reference[f"{resource.get('resourceType')}/{resource['id']}"] = resource
        for contained in resource.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id"):
                self._by_reference[f"#{contained['id']}"] = contained

    def first(self, resource_type: str) -> JsonObject | None:
        return next((r for r in self.resources if r.get("resourceType") == resource_type), None)

    def resolve(self, reference: Any) -> JsonObject | None:
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        return self._by_reference.get(reference["reference"])


def _read_document_reference(resource: JsonObject, parsed: Parsed, index: ResourceIndex) -> None:
    parsed.type_code, parsed.type_label = type_of(resource.get("type"))
    attachments = [content.get("attachment") or {} for content in resource.get("content") or []]
    titles = [a.get("title") for a in attachments if isinstance(a.get("title"), str)]
    parsed.title = _short(resource.get("description")) or _short(titles[0] if titles else None)
    parsed.title = parsed.title or parsed.type_label
    period = (resource.get("context") or {}).get("period") or {}
    parsed.effective = fhir_date(resource.get("date")) or fhir_date(period.get("start"))
    parsed.author = _authors(resource.get("author"), index)


def _read_composition(resource: JsonObject, parsed: Parsed, index: ResourceIndex) -> None:
    parsed.type_code, parsed.type_label = type_of(resource.get("type"))
    parsed.title = _short(resource.get("title")) or parsed.type_label
    parsed.effective = fhir_date(resource.get("date"))
    parsed.author = _authors(resource.get("author"), index)


def type_of(concept: Any) -> tuple[str | None, str | None]:
    """``(code, label)`` of a document type CodeableConcept, LOINC or TRE_A05 first."""
    if not isinstance(concept, dict):
        return None, None
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict) and c.get("code")]
    preferred = [c for c in codings if c.get("system") in LOINC_SYSTEMS | TRE_A05_SYSTEMS]
    coding = (preferred or codings or [{}])[0]
    label = coding.get("display") or concept.get("text")
    return coding.get("code"), _short(label)


def concept_text(concept: Any) -> str | None:
    """A readable label of a CodeableConcept: its text, else a coding's display, else a code."""
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return _short(concept["text"])
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return _short(coding.get("display") or coding.get("code"))
    return None


def reference_text(reference: Any, index: ResourceIndex | None = None) -> str | None:
    """A readable label of a Reference: its display, the resolved name, an identifier, the reference."""
    if not isinstance(reference, dict):
        return None
    if reference.get("display"):
        return _short(reference["display"])
    resolved = index.resolve(reference) if index else None
    if resolved is not None:
        name = human_name(resolved.get("name")) or _short(resolved.get("name"))
        if name:
            return name
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return _short(identifier["value"])
    return _short(reference.get("reference"))


def human_name(names: Any) -> str | None:
    """``prefix given family`` of the first HumanName (its ``text`` if it has one)."""
    if not isinstance(names, list) or not names or not isinstance(names[0], dict):
        return None
    name = names[0]
    if name.get("text"):
        return _short(name["text"])
    parts = [*(name.get("prefix") or []), *(name.get("given") or []), name.get("family")]
    return _short(" ".join(str(part) for part in parts if part))


def _authors(references: Any, index: ResourceIndex) -> str | None:
    names = [reference_text(ref, index) for ref in references or []]
    return _short(", ".join(name for name in names if name))


def ins_of(identifiers: Any) -> set[str]:
    return {
        "".join(str(i["value"]).split()).upper()
        for i in identifiers or []
        if isinstance(i, dict) and i.get("system") in INS_FHIR_SYSTEMS and i.get("value")
    }


def _subject_ins(resource: JsonObject, index: ResourceIndex) -> set[str]:
    subject = resource.get("subject")
    if not isinstance(subject, dict):
        return set()
    found = ins_of([subject.get("identifier")])
    patient = index.resolve(subject)
    if patient is not None and patient.get("resourceType") == "Patient":
        found |= ins_of(patient.get("identifier"))
    return found


def fhir_date(value: Any) -> datetime.date | None:
    """The calendar date of a FHIR date, dateTime or instant (``None`` if partial)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def div_text(div: str) -> str:
    """The text of a narrative XHTML ``div``, tags dropped."""
    try:
        root = xml_safety.parse(div.encode("utf-8"), max_depth=64, max_nodes=50_000)
    except Refused:
        return _TAG.sub(" ", div)
    return " ".join(root.itertext())


def _texts(resource: JsonObject) -> Iterator[str]:
    """Every title, description and narrative of the resource tree, in document order."""
    stack: list[Any] = [resource]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        for key in ("title", "description"):
            if isinstance(value.get(key), str):
                yield value[key]
        narrative = value.get("text")
        if isinstance(narrative, dict) and isinstance(narrative.get("div"), str):
            yield div_text(narrative["div"])
        stack.extend(
            reversed([child for child in value.values() if isinstance(child, dict | list)])
        )


def _embedded_files(resource: JsonObject) -> Iterator[tuple[str, str]]:
    """``(content type, base64 data)`` of inline attachments and Binary resources."""
    stack: list[Any] = [resource]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        is_binary = value.get("resourceType") == "Binary"
        is_attachment = "contentType" in value and "data" in value and not is_binary
        if (is_binary or is_attachment) and isinstance(value.get("data"), str):
            yield str(value.get("contentType") or ""), value["data"]
        stack.extend(
            reversed([child for child in value.values() if isinstance(child, dict | list)])
        )


def _read_embedded_files(
    resource: JsonObject, limits: Limits, parsed: Parsed, text: TextBuffer
) -> None:
    for count, (content_type, encoded) in enumerate(_embedded_files(resource)):
        if count >= MAX_EMBEDDED_FILES:
            parsed.notes.append(f"Au-delà de {MAX_EMBEDDED_FILES} pièces jointes, rien n'est lu.")
            return
        try:
            raw = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError) as error:
            raise Refused(
                "fhir_invalid", "Une pièce jointe FHIR n'est pas du base64 valide."
            ) from error
        embedded = read_embedded(
            raw, content_type, limits, where="à la ressource FHIR", invalid="fhir_invalid"
        )
        if embedded is None:
            parsed.notes.append(f"Pièce jointe de type {content_type or 'inconnu'} non lue.")
            continue
        text.add(embedded.text)
        parsed.notes.extend(embedded.notes)
        if parsed.preview_png is None:
            parsed.preview_png = embedded.preview_png
        if parsed.page_count is None:
            parsed.page_count = embedded.page_count


def _short(value: Any, length: int = 500) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:length] or None
