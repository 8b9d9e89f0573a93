"""Opt-out information letters: PDFs for the print house, and their manifests.

A campaign (``consent.optout.services.campaigns`` and its tasks) informs by post everyone it
cannot reach by e-mail: the record has been created, opens six weeks after the
notice unless the person opposes (Code de la santé publique, R1111-28), and
here is how to oppose or activate it early. This module only turns plain data
(:class:`LetterData`) into bytes; it never touches the database, so a task can
call it between loading a batch and committing the notices' state.

The letter is a form (``templates/letters/letter.html``): the text that every
letter of a batch shares flows as usual, and what is personal to one letter
(address, reference, personal code, a child's name) sits in fixed-size slots
(:data:`SLOTS`), so that it never moves the shared text.

- :func:`render_batch` renders a whole batch (typically 1,000 letters) as ONE
  PDF, one page per letter. WeasyPrint lays out the shared text once per
  distinct :class:`_Shared` (usually twice: adults and guardians of minors)
  as background pages with empty slots, then only the fields of every letter,
  absolutely positioned where the background has their slots, in light
  documents of :data:`FIELDS_PER_DOCUMENT` pages; pypdf draws each
  background, stored once as a Form XObject, under each letter's fields.
  About 6 to 7 times the one-by-one rate, and under 1 KiB a letter
  (``bench/letters.py``, ``docs/scaling.md``).
- :func:`render_one` renders one letter as its own WeasyPrint document, slots
  filled: the same page, at the full per-document cost. For a reprint, and
  as the bench's baseline.
- :func:`manifest_csv` lists the batch for the print house: page, reference,
  recipient and postal address, never the personal code nor anything about
  health.

Both ways check the layout (:class:`LetterLayoutError`): one page per letter,
every field within its slot's lines, the shared text clear of the letterhead
and the footer.

Letters are always in French (they follow French postal and legal rules), so
the templates hold plain French, without gettext. Dates are spelt out by
:func:`french_date`, independent of the active language.

Safety: the templates are autoescaped (a name containing ``<b>`` prints as
text), and WeasyPrint is given a URL fetcher that refuses every URL, so a
letter never fetches anything, whatever ends up in the HTML. Fonts are the
system's DejaVu (Debian's ``fonts-dejavu-core``), found through fontconfig,
embedded (subset) and the text stays selectable; nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, TypeVar

from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)
from weasyprint import HTML
from weasyprint.urls import URLFetcher

__all__ = [
    "DEFAULT_INSURER",
    "MANIFEST_COLUMNS",
    "PAGES_PER_LETTER",
    "SLOTS",
    "WINDOW_MM",
    "Insurer",
    "LetterData",
    "LetterLayoutError",
    "RefusingURLFetcher",
    "Slot",
    "french_date",
    "manifest_csv",
    "render_batch",
    "render_one",
]

TEMPLATE: Final = "letters/letter.html"
FIELDS_TEMPLATE: Final = "letters/fields.html"
DEFAULT_SITE_NAME: Final = "messpace"
# Every letter fits on one page; both ways check it, so that the manifest's
# page numbers are those of the PDF.
PAGES_PER_LETTER: Final = 1
# At most six address lines below the recipient's name (NF Z10-011 allows six
# in all; a guardian's or a foreign address sometimes needs one more line).
MAX_ADDRESS_LINES: Final = 6

# The window of a French DL / C5-C6 window envelope, in mm from the sheet's
# top-left corner (La Poste: about 100 mm from the left edge, 45–55 mm from
# the top, about 90 × 35 mm). The address block is drawn inside it, with a
# few millimetres of play all round for the folding.
WINDOW_MM: Final = {"left": 100, "top": 45, "width": 90, "height": 35}
# The page margins of the letter (@page), in mm; the template positions its
# blocks relative to the page's content box, hence the subtraction there.
PAGE_MARGIN_MM: Final = {"top": 15, "right": 20, "bottom": 15, "left": 20}
ADDRESS_PLAY_MM: Final = 4


@dataclass(frozen=True)
class Slot:
    """The room of one variable field: ``lines`` lines of ``font_pt`` type."""

    font_pt: float
    line_pt: float
    lines: int

    @property
    def height_pt(self) -> float:
        """The slot's height (its CSS ``min-height``); a field taller overflows."""
        return round(self.line_pt * self.lines, 3)


# The variable fields of a letter, by the name the templates give them. The
# address holds the recipient's name and MAX_ADDRESS_LINES lines at 10.8 pt:
# 75.6 pt, 26.7 mm, inside the window less its play (27 mm).
SLOTS: Final = {
    "address": Slot(font_pt=10, line_pt=10.8, lines=1 + MAX_ADDRESS_LINES),
    "reference": Slot(font_pt=10.5, line_pt=14.7, lines=1),
    "patient": Slot(font_pt=10.5, line_pt=14.7, lines=1),
    "code": Slot(font_pt=16, line_pt=22.4, lines=1),
    "footer_reference": Slot(font_pt=10, line_pt=14, lines=1),
}
# Letters whose fields make one WeasyPrint document. Part of WeasyPrint's
# work grows with pages × elements (each page rescans every element's
# styles), and a document's layout stays in memory until it is written: a
# few documents per batch are faster and lighter than one.
FIELDS_PER_DOCUMENT: Final = 250
PX_PER_PT: Final = 96 / 72  # WeasyPrint lays out in CSS px
# Layout rounding; a field one line too tall is at least 14 px taller.
_EPSILON_PX: Final = 0.5
# The name each letter's page gives its background's Form XObject.
_BACKGROUND: Final = "/MesspaceBackground"
# A box laid out by WeasyPrint: (left, top, right, bottom) in CSS px.
_Box: TypeAlias = tuple[float, float, float, float]
_PdfT = TypeVar("_PdfT", bound=PdfObject)

MANIFEST_DELIMITER: Final = ";"  # what Excel expects in a French locale
MANIFEST_COLUMNS: Final = (
    "lot",
    "page",
    "reference",
    "destinataire",
    *(f"adresse_{i}" for i in range(1, MAX_ADDRESS_LINES + 1)),
    "code_postal",
    "ville",
    "pays",
)

_MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_FR_POSTCODE_CITY = re.compile(r"^(\d{5})\s+(.+)$")
# Foreign "postcode city" lines: a first token holding a digit (D-10115, SW1A 1AA is
# not caught and stays in the address columns, which is all the print house needs).
_FOREIGN_POSTCODE_CITY = re.compile(r"^([A-Z]{0,3}-?\d[\dA-Z-]{1,9})\s+(.+)$")
# Cells Excel would read as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LetterLayoutError(RuntimeError):
    """A letter did not fit on its page(s): the PDF and manifest would disagree."""


@dataclass(frozen=True)
class Insurer:
    """The letterhead: who sends the letter and whom to call."""

    name: str
    address_lines: tuple[str, ...]
    phone: str


DEFAULT_INSURER: Final = Insurer(
    name="Caisse primaire d'assurance maladie",
    address_lines=("Service Mon espace personnel", "12 rue des Lilas", "75020 Paris"),
    phone="01 23 45 67 89",
)


@dataclass(frozen=True)
class LetterData:
    """What one letter says: plain values, no model instances.

    ``reference`` identifies the notice on the letter and in the manifest.
    ``recipient_name`` is the person written to, a guardian when ``for_minor``
    (then ``patient_name`` is the child). ``address_lines`` are the lines under
    the name, postcode and city included (and the country, last, when not
    France): at most :data:`MAX_ADDRESS_LINES`. ``code`` is the personal code
    to oppose or activate early; it is printed on the letter and nowhere else.
    ``opens_on`` is the day the record opens without opposition
    (``notified_on`` plus the campaign's delay).
    """

    reference: str
    recipient_name: str
    address_lines: tuple[str, ...]
    patient_name: str
    for_minor: bool
    code: str
    notified_on: dt.date
    opens_on: dt.date
    oppose_url: str

    def __post_init__(self) -> None:
        if not self.address_lines:
            raise ValueError(f"{self.reference}: a letter needs an address.")
        if len(self.address_lines) > MAX_ADDRESS_LINES:
            raise ValueError(
                f"{self.reference}: {len(self.address_lines)} address lines, "
                f"at most {MAX_ADDRESS_LINES}."
            )
        if self.opens_on <= self.notified_on:
            raise ValueError(f"{self.reference}: the record must open after the notice.")

    @property
    def notified_on_fr(self) -> str:
        """``notified_on`` spelt out in French ("2 janvier 2027")."""
        return french_date(self.notified_on)

    @property
    def opens_on_fr(self) -> str:
        """``opens_on`` spelt out in French ("2 janvier 2027")."""
        return french_date(self.opens_on)


def french_date(day: dt.date) -> str:
    """``day`` as a French letter writes it: "1er mars 2027", "2 janvier 2027"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


class RefusingURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that fetches nothing, ever.

    Letters embed everything they need (CSS inline, fonts from fontconfig, no
    images), so any URL WeasyPrint asks for came from somewhere it should not
    have: it is refused (WeasyPrint logs a warning and renders without it)
    and recorded in ``refused``, for tests and logs.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.refused.append(url)
        raise ValueError(f"letters fetch no resources: {url[:80]}")


@dataclass(frozen=True)
class _Shared:
    """What a background page says: the same for every letter of its group.

    Only these values may appear in the fixed text; everything else a letter
    says goes in a slot (:data:`SLOTS`).
    """

    for_minor: bool
    notified_on: dt.date
    opens_on: dt.date
    oppose_url: str

    @classmethod
    def of(cls, letter: LetterData) -> _Shared:
        return cls(letter.for_minor, letter.notified_on, letter.opens_on, letter.oppose_url)

    @property
    def notified_on_fr(self) -> str:
        return french_date(self.notified_on)

    @property
    def opens_on_fr(self) -> str:
        return french_date(self.opens_on)


@dataclass(frozen=True)
class _Page:
    """One page of letter.html: ``fields`` empty strings for a background."""

    index: int
    shared: _Shared
    fields: Mapping[str, str]


@dataclass(frozen=True)
class _Sheet:
    """One page of fields.html: the fields of letter ``index``, placed as
    background ``group`` has its slots."""

    index: int
    group: int
    fields: Mapping[str, str]


def _fields(letter: LetterData) -> dict[str, str]:
    """The text of each slot of ``letter`` (``patient`` only for a minor)."""
    fields = {
        "address": "\n".join((letter.recipient_name, *letter.address_lines)),
        "reference": letter.reference,
        "code": letter.code,
        "footer_reference": letter.reference,
    }
    if letter.for_minor:
        fields["patient"] = letter.patient_name
    return fields


def _empty_fields(shared: _Shared) -> dict[str, str]:
    return {name: "" for name in SLOTS if name != "patient" or shared.for_minor}


def _context(insurer: Insurer, site_name: str, **extra: object) -> dict[str, object]:
    margin = PAGE_MARGIN_MM
    window = WINDOW_MM
    return {
        "insurer": insurer,
        "site_name": site_name,
        "margin": margin,
        "slots": SLOTS,
        # The address block inside the window, relative to the content box.
        "address_box": {
            "left": window["left"] + ADDRESS_PLAY_MM - margin["left"],
            "top": window["top"] + ADDRESS_PLAY_MM - margin["top"],
            "width": window["width"] - 2 * ADDRESS_PLAY_MM,
        },
        # The footer's last line ends about 2 mm above the bottom margin.
        "footer_top": 297 - margin["top"] - margin["bottom"] - 14,
        **extra,
    }


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    # WeasyPrint builds a tree of millions of objects for a 1,000-page
    # document; every full collection rescans it for nothing (about a quarter
    # of a batch's time). The cycles it leaves are collected afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _weasyprint(html: str, pages: int) -> tuple[list[dict[str, _Box]], bytes]:
    """Render ``html``, which must give ``pages`` pages: each page's anchors, the PDF."""
    with _cyclic_gc_paused():
        document = HTML(string=html, base_url=None, url_fetcher=RefusingURLFetcher()).render()
        pdf: bytes = document.write_pdf()
    if len(document.pages) != pages:
        raise LetterLayoutError(
            f"{len(document.pages)} pages laid out, {pages} expected: a letter overflows "
            "its page (a very long name, address line or site name?)."
        )
    # WeasyPrint's anchors are the border boxes (x1, y1, x2, y2) of the
    # elements with an id, in CSS px from the page's top-left corner.
    return [dict(page.anchors) for page in document.pages], pdf


def _box(anchors: Mapping[str, _Box], name: str) -> _Box:
    try:
        return anchors[name]
    except KeyError:
        raise LetterLayoutError(f"{name} is not laid out: the template lost a slot?") from None


def _check_fixed_text(anchors: Mapping[str, _Box], index: int) -> None:
    """The shared text of page ``index`` stays clear of the letterhead and footer."""
    letterhead, meta = _box(anchors, f"l{index}-letterhead"), _box(anchors, f"l{index}-meta")
    body, footer = _box(anchors, f"l{index}-body"), _box(anchors, f"l{index}-footer")
    if letterhead[3] > meta[1] + _EPSILON_PX:
        raise LetterLayoutError("The letterhead runs into the letter (a long insurer address?).")
    if body[3] > footer[1] + _EPSILON_PX:
        raise LetterLayoutError("The letter runs into its footer (a long site name or URL?).")


def _check_fields(anchors: Mapping[str, _Box], index: int, letter: LetterData) -> None:
    """Each field of ``letter`` (page ``index``) holds in its slot's lines."""
    for name in _fields(letter):
        _x1, y1, _x2, y2 = _box(anchors, f"l{index}-{name}")
        if y2 - y1 > SLOTS[name].height_pt * PX_PER_PT + _EPSILON_PX:
            raise LetterLayoutError(
                f"{letter.reference}: the {name} field does not fit its "
                f"{SLOTS[name].lines} line(s) (a very long name or address line?)."
            )


def _render_full(letter: LetterData, insurer: Insurer, site_name: str) -> bytes:
    html = render_to_string(
        TEMPLATE,
        _context(insurer, site_name, pages=[_Page(0, _Shared.of(letter), _fields(letter))]),
    )
    (anchors,), pdf = _weasyprint(html, PAGES_PER_LETTER)
    _check_fixed_text(anchors, 0)
    _check_fields(anchors, 0, letter)
    return pdf


def _render_backgrounds(
    groups: Sequence[_Shared], insurer: Insurer, site_name: str
) -> tuple[list[dict[str, _Box]], bytes]:
    """One page per group, the letter with its slots empty: each page's slots
    (by field name), the PDF."""
    pages = [_Page(index, shared, _empty_fields(shared)) for index, shared in enumerate(groups)]
    html = render_to_string(TEMPLATE, _context(insurer, site_name, pages=pages))
    anchors, pdf = _weasyprint(html, len(groups) * PAGES_PER_LETTER)
    slots = []
    for page in pages:
        _check_fixed_text(anchors[page.index], page.index)
        slots.append(
            {name: _box(anchors[page.index], f"l{page.index}-{name}") for name in page.fields}
        )
    return slots, pdf


def _render_fields(
    letters: Sequence[LetterData],
    group_of: Sequence[int],
    slots: Sequence[Mapping[str, _Box]],
    site_name: str,
) -> bytes:
    """One page per letter, only its fields, each where its background
    (``slots[group_of[i]]``) has the slot."""
    groups = [{name: (x1, y1, x2 - x1) for name, (x1, y1, x2, _y2) in g.items()} for g in slots]
    sheets = [
        _Sheet(index, group, _fields(letter))
        for index, (letter, group) in enumerate(zip(letters, group_of, strict=True))
    ]
    html = render_to_string(
        FIELDS_TEMPLATE,
        {"site_name": site_name, "slots": SLOTS, "pages": sheets, "groups": groups},
    )
    anchors, pdf = _weasyprint(html, len(letters))
    for index, letter in enumerate(letters):
        _check_fields(anchors[index], index, letter)
    return pdf


def _resolved(obj: object, kind: type[_PdfT]) -> _PdfT:
    """``obj``, through its indirect reference if any, checked to be a ``kind``."""
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    if not isinstance(obj, kind):
        raise LetterLayoutError(
            f"Unexpected PDF structure: {type(obj).__name__}, not {kind.__name__}."
        )
    return obj


def _merge(backgrounds: bytes, fields: Sequence[bytes], groups: Sequence[int]) -> bytes:
    """Lay page *i* of the ``fields`` PDFs (their pages in order) over page
    ``groups[i]`` of ``backgrounds``.

    Each background page becomes ONE Form XObject, with its fonts, which every
    page of its group draws first, under its own fields: the shared text is
    stored once per batch, not once per letter.
    """
    writer = PdfWriter()
    for pdf in fields:
        reader = PdfReader(io.BytesIO(pdf))
        for page in reader.pages:
            writer.add_page(page)
    writer.add_metadata(dict(reader.metadata or {}))  # WeasyPrint's title and producer
    forms = []
    for page in PdfReader(io.BytesIO(backgrounds)).pages:
        # WeasyPrint writes one (compressed) content stream per page: kept as
        # is, it becomes the form, drawn in the page's coordinates.
        form = _resolved(page[NameObject("/Contents")], StreamObject).clone(writer)
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = page.mediabox
        # Through its reference: the pages share it, so it is copied once.
        form[NameObject("/Resources")] = page.raw_get("/Resources").clone(writer)
        forms.append(form.indirect_reference)
    draw = DecodedStreamObject()
    draw.set_data(f"q {_BACKGROUND} Do Q\n".encode())
    draw_ref = writer._add_object(draw)
    # WeasyPrint shares one resource dictionary between all pages: one copy
    # of it per background, naming that background's form.
    resources: dict[tuple[int, int], IndirectObject] = {}
    for page, group in zip(writer.pages, groups, strict=True):
        original = _resolved(page[NameObject("/Resources")], DictionaryObject)
        key = (id(original), group)
        if key not in resources:
            xobjects = DictionaryObject(
                _resolved(
                    original.get(NameObject("/XObject"), DictionaryObject()), DictionaryObject
                )
            )
            if _BACKGROUND in xobjects:
                raise LetterLayoutError(f"The fields' PDF already names an XObject {_BACKGROUND}.")
            xobjects[NameObject(_BACKGROUND)] = forms[group]
            copy = DictionaryObject(original)
            copy[NameObject("/XObject")] = xobjects
            resources[key] = writer._add_object(copy)
        page[NameObject("/Resources")] = resources[key]
        # raw_get: the streams' references, as a page's contents must be.
        contents = page.raw_get("/Contents")
        target = contents.get_object()
        streams = list(target) if isinstance(target, ArrayObject) else [contents]
        # First, so that the background's graphics state is restored (Q)
        # before the fields' stream, which starts with its own transform.
        page[NameObject("/Contents")] = ArrayObject([draw_ref, *streams])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def render_batch(
    letters: Sequence[LetterData],
    *,
    insurer: Insurer = DEFAULT_INSURER,
    site_name: str = DEFAULT_SITE_NAME,
) -> bytes:
    """Render ``letters`` as ONE PDF, letter *i* on page ``i * PAGES_PER_LETTER + 1``.

    ``site_name`` is what the letter calls the record's service (pass
    ``settings.MESSPACE_SITE_NAME``). Pure: no database, no network, no file
    written. Raises ``ValueError`` for an empty batch and
    :class:`LetterLayoutError` if a letter does not fit its page or a field
    its slot (the batch is then not printable as the manifest describes it).

    Each page reads as :func:`render_one`'s, glyph for glyph at the same
    places, but is built as a form: the shared text of each distinct
    :class:`_Shared` (usually two per batch: adults, minors) is laid out once,
    the fields of the letters in documents of :data:`FIELDS_PER_DOCUMENT`
    pages, and each letter's page draws its background under its fields. A
    batch mixing many opening dates gets as many backgrounds (correct, but
    slower).
    """
    if not letters:
        raise ValueError("An empty batch has no letters to render.")
    groups: dict[_Shared, int] = {}
    group_of = [groups.setdefault(_Shared.of(letter), len(groups)) for letter in letters]
    slots, backgrounds = _render_backgrounds(list(groups), insurer, site_name)
    fields = [
        _render_fields(
            letters[start : start + FIELDS_PER_DOCUMENT],
            group_of[start : start + FIELDS_PER_DOCUMENT],
            slots,
            site_name,
        )
        for start in range(0, len(letters), FIELDS_PER_DOCUMENT)
    ]
    return _merge(backgrounds, fields, group_of)


def render_one(
    letter: LetterData,
    *,
    insurer: Insurer = DEFAULT_INSURER,
    site_name: str = DEFAULT_SITE_NAME,
) -> bytes:
    """Render one letter as its own PDF: the same page as in a batch.

    The whole letter is one WeasyPrint document, its fields filled in their
    slots; this pays WeasyPrint's whole per-document and per-page cost for a
    single letter, so use :func:`render_batch` for anything more than a
    reprint. Raises :class:`LetterLayoutError` as :func:`render_batch` does.
    """
    return _render_full(letter, insurer, site_name)


def _cell(value: str) -> str:
    # A name like "=HYPERLINK(...)" must stay text when the print house opens
    # the manifest in a spreadsheet.
    return "'" + value if value.startswith(_FORMULA_START) else value


def _postcode_city_country(lines: tuple[str, ...]) -> tuple[str, str, str]:
    last = lines[-1].strip()
    if match := _FR_POSTCODE_CITY.match(last):
        return match[1], match[2].strip(), ""
    if len(lines) >= 2 and (match := _FOREIGN_POSTCODE_CITY.match(lines[-2].strip())):
        return match[1], match[2].strip(), last
    return "", "", last if len(lines) >= 2 else ""


def manifest_csv(letters: Sequence[LetterData], *, batch_number: int) -> bytes:
    """The print house's list for one batch, as UTF-8 CSV with a BOM (for Excel).

    One row per letter, in the PDF's order, with the columns
    :data:`MANIFEST_COLUMNS` (separated by ``;``, as Excel expects in
    French): batch number, first page of the letter in the batch's PDF,
    reference, recipient, address lines (padded to six), postcode, city and
    country (empty for France). It never holds the personal code, the
    patient's name or anything about health. Cells that a spreadsheet would
    run as formulas are prefixed with ``'``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=MANIFEST_DELIMITER, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for index, letter in enumerate(letters):
        postcode, city, country = _postcode_city_country(letter.address_lines)
        padded = letter.address_lines + ("",) * (MAX_ADDRESS_LINES - len(letter.address_lines))
        writer.writerow(
            [
                str(batch_number),
                str(index * PAGES_PER_LETTER + 1),
                _cell(letter.reference),
                _cell(letter.recipient_name),
                *(_cell(line) for line in padded),
                _cell(postcode),
                _cell(city),
                _cell(country),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
