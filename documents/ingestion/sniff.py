"""What a deposited file is, from its bytes alone.

The decision rests on the content: libmagic (``magic.from_buffer``) plus
explicit structural checks. The client's declared MIME type is only checked
against the result (a mismatch is refused); the file name is never used to
decide anything, since anyone can rename ``photo.jpg`` to ``cr.pdf``.

Accepted kinds and their checks:

- ``pdf``: ``%PDF-`` at offset 0. Readers tolerate the header anywhere in the
  first 1024 bytes, which is how PDF polyglots are built, so a later header is
  refused. Whether the rest is a real PDF is decided by the parse step.
- ``cda``: XML whose root element is ``{urn:hl7-org:v3}ClinicalDocument``,
  read with a hardened parser that stops at the root start tag.
- ``fhir``: a UTF-8 JSON object whose ``resourceType`` is ``DocumentReference``
  or ``Bundle``.
- ``dicom``: ``DICM`` at offset 128.
- ``jpeg``, ``png``: their signature, confirmed by libmagic.

Archives and containers (ZIP and everything built on it such as DOCX, XLSX,
ODT; gzip, bzip2, xz, zstd, tar, 7z, RAR, CAB, OLE2 office files) are refused
with code ``"archive"``: their content cannot be scanned and shown as one
document. Anything else is ``"type_unknown"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import magic

from documents.ingestion import xml_safety
from documents.ingestion.errors import Refused

Kind = Literal["pdf", "cda", "fhir", "jpeg", "png", "dicom"]

# How much of the file libmagic sees: enough for the ZIP-based office formats,
# whose first entries name the application.
MAGIC_WINDOW = 16 * 1024

CANONICAL_MIME: dict[Kind, str] = {
    "pdf": "application/pdf",
    # IHE XDS files CDA documents as text/xml.
    "cda": "text/xml",
    "fhir": "application/fhir+json",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "dicom": "application/dicom",
}

ACCEPTED_DECLARED_MIMES: dict[Kind, frozenset[str]] = {
    "pdf": frozenset({"application/pdf", "application/x-pdf"}),
    "cda": frozenset(
        {"text/xml", "application/xml", "application/hl7-v3+xml", "application/hl7-cda+xml"}
    ),
    "fhir": frozenset({"application/fhir+json", "application/json", "application/json+fhir"}),
    "jpeg": frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    "png": frozenset({"image/png", "image/x-png"}),
    "dicom": frozenset({"application/dicom"}),
}

# What browsers send when they do not know: not a declaration to check.
UNDECLARED_MIMES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
)

KIND_LABELS: dict[Kind, str] = {
    "pdf": "un document PDF",
    "cda": "un document CDA R2 (XML)",
    "fhir": "une ressource FHIR (JSON)",
    "jpeg": "une image JPEG",
    "png": "une image PNG",
    "dicom": "une image DICOM",
}

FHIR_RESOURCE_TYPES = frozenset({"DocumentReference", "Bundle"})

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

# (signature at offset 0, French name); office files get their own message.
_ARCHIVE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"PK\x07\x08", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"MSCF", "CAB"),
    (b"!<arch>\n", "ar"),
)
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_ARCHIVE_MIMES: dict[str, str] = {
    "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP",
    "application/java-archive": "JAR",
    "application/epub+zip": "EPUB",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
    "application/x-lzma": "LZMA",
    "application/x-lzip": "lzip",
    "application/x-compress": "compress",
    "application/zstd": "zstd",
    "application/x-zstd": "zstd",
    "application/x-tar": "tar",
    "application/x-cpio": "cpio",
    "application/x-7z-compressed": "7z",
    "application/x-rar": "RAR",
    "application/vnd.rar": "RAR",
    "application/x-rar-compressed": "RAR",
    "application/vnd.ms-cab-compressed": "CAB",
    "application/x-archive": "ar",
    "application/x-iso9660-image": "ISO",
}
_OFFICE_MIME_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-",
    "application/msword",
    "application/x-ole-storage",
    "application/cdfv2",
)
_OFFICE_MESSAGE = (
    "Le fichier est un document bureautique (Word, Excel, LibreOffice…) : ces formats sont "
    "des archives et ne sont pas acceptés. Enregistrez-le en PDF puis déposez le PDF."
)


@dataclass(frozen=True)
class Sniffed:
    """The kind of a document and the MIME type it is stored and served with."""

    kind: Kind
    mime: str


def sniff(data: bytes, *, declared_mime: str | None = None, filename: str | None = None) -> Sniffed:
    """Identify ``data`` as one of the accepted kinds or raise ``Refused``.

    ``declared_mime`` (from the client) must agree with the content, up to the
    usual aliases (``application/xml`` for a CDA, ``image/jpg``…); a missing or
    generic declaration (``application/octet-stream``) is not checked.
    ``filename`` is accepted for the callers' convenience and deliberately
    ignored: extensions are never trusted.

    Refusal codes: ``empty``, ``archive``, ``type_unknown``, ``type_mismatch``,
    and for XML or JSON that cannot be read safely ``xml_unsafe``,
    ``xml_invalid`` and ``nesting_too_deep``.
    """
    del filename  # never trusted, see the docstring
    if not data:
        raise Refused("empty", "Le fichier est vide (0 octet).")
    try:
        magic_mime = str(magic.from_buffer(data[:MAGIC_WINDOW], mime=True)).lower()
    except magic.MagicException:
        # libmagic's verdict only refines messages and archive detection.
        magic_mime = "application/octet-stream"
    _refuse_containers(data, magic_mime)
    kind = _kind(data, magic_mime)
    _check_declared(kind, declared_mime)
    return Sniffed(kind=kind, mime=CANONICAL_MIME[kind])


def _refuse_containers(data: bytes, magic_mime: str) -> None:
    head = data[:MAGIC_WINDOW]
    if magic_mime.startswith(_OFFICE_MIME_PREFIXES) or head.startswith(_OLE2_SIGNATURE):
        raise Refused("archive", _OFFICE_MESSAGE)
    for signature, name in _ARCHIVE_SIGNATURES:
        if head.startswith(signature):
            if name == "ZIP" and (b"word/" in head or b"xl/" in head or b"opendocument" in head):
                raise Refused("archive", _OFFICE_MESSAGE)
            raise _archive(name)
    if data[257:262] == b"ustar":
        raise _archive("tar")
    if magic_mime in _ARCHIVE_MIMES:
        raise _archive(_ARCHIVE_MIMES[magic_mime])


def _archive(name: str) -> Refused:
    return Refused(
        "archive",
        f"Le fichier est une archive {name} : les archives ne sont pas acceptées. "
        "Déposez chaque document séparément.",
    )


def _kind(data: bytes, magic_mime: str) -> Kind:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[128:132] == b"DICM":
        return "dicom"
    if data.startswith(_JPEG_SIGNATURE) and magic_mime == "image/jpeg":
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE) and magic_mime in ("image/png", "image/apng"):
        return "png"
    if b"%PDF-" in data[:1024]:
        raise Refused(
            "type_unknown",
            "L'en-tête PDF (%PDF-) n'est pas au tout début du fichier : ce type de fichier "
            "(qui peut se faire passer pour deux formats à la fois) n'est pas accepté.",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused(
            "type_unknown",
            "Le fichier est un texte encodé en UTF-16 : enregistrez-le en UTF-8 (seul encodage "
            "accepté pour les documents CDA et FHIR).",
        )
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if magic_mime == "text/html" or text[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise Refused("type_unknown", "Le fichier est une page HTML : ce format n'est pas accepté.")
    if text.startswith(b"<"):
        return _xml_kind(data)
    if text.startswith(b"{"):
        return _json_kind(data)
    raise Refused(
        "type_unknown",
        f"Le type du fichier ({magic_mime}) n'est pas accepté. Formats acceptés : PDF, "
        "CDA R2 (XML), FHIR (JSON), JPEG, PNG et DICOM.",
    )


def _xml_kind(data: bytes) -> Kind:
    tag = xml_safety.root_tag(data)
    if tag == xml_safety.CDA_ROOT:
        return "cda"
    if tag.startswith("{http://hl7.org/fhir}"):
        raise Refused(
            "type_unknown",
            "Les ressources FHIR au format XML ne sont pas acceptées : envoyez-les en JSON.",
        )
    name = tag.rpartition("}")[2]
    raise Refused(
        "type_unknown",
        f"Le fichier XML (élément racine « {name} ») n'est pas un document CDA R2 "
        "(élément racine ClinicalDocument de l'espace de noms urn:hl7-org:v3).",
    )


def _json_kind(data: bytes) -> Kind:
    try:
        obj = json.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except RecursionError as error:
        raise Refused(
            "nesting_too_deep", "Le document JSON est imbriqué trop profondément."
        ) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise Refused(
            "type_unknown",
            "Le fichier ressemble à du JSON mais n'est pas du JSON valide en UTF-8.",
        ) from error
    resource_type = obj.get("resourceType") if isinstance(obj, dict) else None
    if resource_type in FHIR_RESOURCE_TYPES:
        return "fhir"
    if isinstance(resource_type, str):
        raise Refused(
            "type_unknown",
            f"La ressource FHIR « {resource_type[:60]} » n'est pas acceptée : seules "
            "DocumentReference et Bundle le sont.",
        )
    raise Refused(
        "type_unknown",
        "Le fichier JSON n'est pas une ressource FHIR (propriété resourceType absente).",
    )


def normalise_mime(mime: str | None) -> str:
    """``"Image/JPEG; charset=x"`` → ``"image/jpeg"``; ``None`` → ``""``."""
    return (mime or "").split(";", 1)[0].strip().lower()


def _check_declared(kind: Kind, declared_mime: str | None) -> None:
    declared = normalise_mime(declared_mime)
    if declared in UNDECLARED_MIMES or declared in ACCEPTED_DECLARED_MIMES[kind]:
        return
    raise Refused(
        "type_mismatch",
        f"Le fichier a été déclaré comme « {declared[:100]} » mais son contenu est "
        f"{KIND_LABELS[kind]} : le type déclaré et le contenu doivent correspondre.",
    )
