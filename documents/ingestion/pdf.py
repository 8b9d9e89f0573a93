"""PDF documents: validation, JavaScript refusal, metadata, text and preview.

Decisions:

- **JavaScript is refused, not neutralised.** A clinician's PDF has no reason
  to carry scripts, and a refusal is verifiable (the stored file is the file
  that was checked) where rewriting the PDF to strip actions would store a
  file nobody signed and could miss a trigger. Detection is belt and braces:
  a scan of the raw bytes outside stream data for the names ``/JS`` and
  ``/JavaScript`` (hex escapes such as ``/J#61vaScript`` decoded), then a walk
  of every object pypdf can resolve (compressed object streams included) for
  a ``/JS`` key, an action ``/S /JavaScript`` or a ``/JavaScript`` name tree.
- **Structure is judged by pypdf** with ``strict=False`` (real-world PDFs are
  rarely perfect), and any failure to read is a refusal (``pdf_unreadable``).
  Before that, the file must end with ``%%EOF`` (in its last 1024 bytes, as
  readers tolerate): a truncated upload is refused, not repaired. A file that
  starts as a PDF but carries HTML markup in its first 4 KB (a PDF/HTML
  polyglot) is refused.
- **Encryption:** a PDF that needs a password to open is refused
  (``pdf_encrypted``). One encrypted with an empty user password (permission
  restrictions only, common for hospital exports) opens for everyone and is
  accepted, with a note.
- **Text and preview come from PDFium** (pypdfium2), not from pypdf's
  ``extract_text``: on a 100 KB, four-page letter with embedded fonts pypdf
  takes 57 ms a page against 2 ms for PDFium, and the pipeline's budget is
  20 ms a document. PDFium renders the first page only, at :data:`PREVIEW_WIDTH`
  pixels wide, in memory, encoded as a palette PNG (see
  :func:`~documents.ingestion._preview.encode_png_compact`). PDFium is not
  thread-safe: calls are serialised by a module lock (Celery's prefork
  workers never contend for it).
"""

from __future__ import annotations

import datetime
import io
import re
import threading
from collections.abc import Callable, Iterator

import pypdfium2 as pdfium
from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from documents.ingestion import _preview
from documents.ingestion._text import TextBuffer
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed

# Preview width in pixels. PNG encoding dominates the cost of a small PDF: on
# a 100 KB, three-page PDF parse() takes about 11 ms of CPU at 400 px, 13 ms at
# 600 px and 19 ms at 800 px, against a budget of 20 ms a document for the
# whole pipeline. The preview is a thumbnail; the document itself is viewed as a PDF.
PREVIEW_WIDTH = 400
# Very tall pages (receipts, scrolls) are scaled to fit this height instead.
PREVIEW_MAX_HEIGHT = 2 * PREVIEW_WIDTH

_PDFIUM_LOCK = threading.Lock()

# A PDF name starting with J, possibly hex-escaped (#4A), up to the next delimiter.
_NAME_STARTING_WITH_J = re.compile(rb"/(?:J|#4[Aa])(?:[^\x00\s/<>\[\]()%{}#]|#[0-9A-Fa-f]{2})*")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_JAVASCRIPT_NAMES = frozenset({b"JS", b"JavaScript"})
# "stream" keyword opening stream data ("endstream" is excluded by the lookbehind).
_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_HTML_MARKUP = re.compile(
    rb"<\s*/?\s*(?:script|html|body|iframe|svg|object|embed)\b", re.IGNORECASE
)

_JAVASCRIPT_MESSAGE = (
    "Le PDF contient du JavaScript (actions automatiques ou scripts) : les PDF contenant "
    "du code exécutable ne sont pas acceptés. Réimprimez-le en PDF (« Imprimer en PDF ») "
    "pour obtenir une version sans script."
)
# Direct-object nesting walked inside one indirect object; deeper is refused as unreadable.
_MAX_OBJECT_NESTING = 64


def parse_pdf(data: bytes, limits: Limits, *, preview: bool = True) -> Parsed:
    """Validate a PDF and read its metadata, text and (unless ``preview`` is false)
    first-page preview.

    Raises ``Refused`` with ``pdf_unreadable`` (truncated, corrupt, polyglot),
    ``pdf_encrypted``, ``pdf_javascript`` or ``too_many_pages``. The text stops
    at the ~1 MB cap; ``effective`` is the PDF's creation date, the only date
    a PDF states about itself.
    """
    _check_envelope(data)
    if raw_javascript(data):
        raise Refused("pdf_javascript", _JAVASCRIPT_MESSAGE)
    notes: list[str] = []
    parsed = _read_structure(data, limits, notes)
    text, png = _render(data, parsed.page_count or 0, notes, preview=preview)
    parsed.text = text
    parsed.preview_png = png
    parsed.notes = notes
    return parsed


def _check_envelope(data: bytes) -> None:
    if b"%%EOF" not in data[-1024:]:
        raise Refused(
            "pdf_unreadable",
            "Le PDF est incomplet (marqueur de fin %%EOF absent) : le fichier a sans doute été "
            "tronqué pendant l'envoi ou n'est pas un vrai PDF. Déposez-le à nouveau.",
        )
    if _HTML_MARKUP.search(data[:4096]):
        raise Refused(
            "pdf_unreadable",
            "Le fichier commence comme un PDF mais contient une page HTML : ce fichier "
            "polyglotte (deux formats à la fois) n'est pas accepté.",
        )


def _outside_streams(data: bytes) -> Iterator[bytes]:
    """The parts of ``data`` that are not stream data (dictionaries, xref, trailer)."""
    position = 0
    while True:
        start = _STREAM_START.search(data, position)
        if start is None:
            yield data[position:]
            return
        yield data[position : start.start()]
        end = data.find(b"endstream", start.end())
        if end < 0:
            return
        position = end + len(b"endstream")


def raw_javascript(data: bytes) -> bool:
    """Whether a JavaScript name (``/JS``, ``/JavaScript``, hex-escaped or not) appears
    in ``data`` outside stream data: the byte scan run before any PDF parser.

    Objects inside compressed object streams escape it; the object walk after
    parsing catches those.
    """
    # Stream data is skipped: random compressed bytes would match "/JS " now and then.
    for segment in _outside_streams(data):
        for match in _NAME_STARTING_WITH_J.finditer(segment):
            name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group()[1:])
            if name in _JAVASCRIPT_NAMES:
                return True
    return False


def _read_structure(data: bytes, limits: Limits, notes: list[str]) -> Parsed:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise Refused(
                    "pdf_encrypted",
                    "Le PDF est protégé par un mot de passe : il ne peut être ni lu ni affiché. "
                    "Déposez une version sans mot de passe.",
                )
            notes.append("PDF chiffré sans mot de passe d'ouverture (restrictions d'usage).")
        page_count = len(reader.pages)
        if page_count == 0:
            raise Refused("pdf_unreadable", "Le PDF ne contient aucune page.")
        if page_count > limits.max_pages:
            raise Refused(
                "too_many_pages",
                f"Le PDF compte {page_count} pages : la limite est de {limits.max_pages} pages.",
            )
        if _objects_carry_javascript(reader):
            raise Refused("pdf_javascript", _JAVASCRIPT_MESSAGE)
        return _metadata(reader, page_count, notes)
    except Refused:
        raise
    except MemoryError:
        raise
    except Exception as error:
        raise Refused(
            "pdf_unreadable",
            f"Le PDF est illisible ou corrompu ({type(error).__name__} : {str(error)[:200]}).",
        ) from error


def _objects_carry_javascript(reader: PdfReader) -> bool:
    """Whether any object pypdf can resolve is a JavaScript action or name tree."""
    references: list[tuple[int, int]] = [
        (number, generation) for generation, numbers in reader.xref.items() for number in numbers
    ]
    references.extend((number, 0) for number in reader.xref_objStm)
    for number, generation in references:
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if obj is not None and _carries_javascript(obj, 0):
            return True
    catalog = reader.trailer.get("/Root")
    return catalog is not None and _carries_javascript(catalog.get_object(), 0)


def _carries_javascript(obj: PdfObject, depth: int) -> bool:
    # Indirect references are not followed: each indirect object is visited on its own.
    if depth > _MAX_OBJECT_NESTING:
        raise ValueError("objets imbriqués trop profondément")
    if isinstance(obj, DictionaryObject):
        if "/JS" in obj or "/JavaScript" in obj or obj.get("/S") == "/JavaScript":
            return True
        return any(
            _carries_javascript(value, depth + 1)
            for value in obj.values()
            if isinstance(value, DictionaryObject | ArrayObject)
        )
    if isinstance(obj, ArrayObject):
        return any(
            _carries_javascript(value, depth + 1)
            for value in obj
            if isinstance(value, DictionaryObject | ArrayObject)
        )
    return False


def _metadata(reader: PdfReader, page_count: int, notes: list[str]) -> Parsed:
    title = author = None
    effective: datetime.date | None = None
    try:
        info = reader.metadata
    except Exception:
        info = None
        notes.append("Métadonnées du PDF illisibles.")
    if info is not None:
        title = _clean(_safe(lambda: info.title))
        author = _clean(_safe(lambda: info.author))
        created = _safe(lambda: info.creation_date)
        if isinstance(created, datetime.datetime):
            effective = created.date()
    if title:
        title = title.removeprefix("Microsoft Word - ")
    return Parsed(title=title, author=author, effective=effective, page_count=page_count)


def _safe(read: Callable[[], object]) -> object:
    # pypdf parses each metadata field lazily and raises on malformed values.
    try:
        return read()
    except Exception:
        return None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.replace("\x00", "").split())
    return text[:500] or None


def _render(
    data: bytes, page_count: int, notes: list[str], *, preview: bool = True
) -> tuple[str, bytes | None]:
    """Text of the pages (up to the cap) and a PNG of the first page, via PDFium."""
    text = TextBuffer()
    png: bytes | None = None
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise Refused(
                "pdf_unreadable", f"Le PDF est illisible ({str(error)[:200]})."
            ) from error
        try:
            for index in range(min(len(document), page_count or len(document))):
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text.add(textpage.get_text_range())
                    finally:
                        textpage.close()
                    if index == 0 and preview:
                        png = _render_page(page, notes)
                finally:
                    page.close()
                if text.full:
                    notes.append(f"Texte tronqué à la page {index + 1} (limite d'indexation).")
                    break
        except MemoryError:
            raise
        except Exception as error:
            # pypdf could read the file but PDFium cannot: still unreadable for viewers.
            raise Refused(
                "pdf_unreadable", f"Le PDF est illisible ({str(error)[:200]})."
            ) from error
        finally:
            document.close()
    return text.text(), png


def pdf_preview(data: bytes) -> bytes | None:
    """The PNG of the first page of an already accepted PDF (made on first view)."""
    notes: list[str] = []
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            try:
                return _render_page(page, notes)
            finally:
                page.close()
        finally:
            document.close()


def _render_page(page: pdfium.PdfPage, notes: list[str]) -> bytes | None:
    width, height = page.get_size()
    if page.get_rotation() in (90, 270):
        width, height = height, width
    if width <= 0 or height <= 0:
        notes.append("Première page sans dimensions : pas d'aperçu.")
        return None
    # A hair under the target: PDFium rounds the bitmap size up.
    scale = min((PREVIEW_WIDTH - 0.01) / width, (PREVIEW_MAX_HEIGHT - 0.01) / height)
    bitmap = page.render(scale=scale, rev_byteorder=True)
    try:
        return _preview.encode_png_compact(bitmap.to_pil())
    finally:
        bitmap.close()
