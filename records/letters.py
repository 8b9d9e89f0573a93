"""Opt-out information letters: PDFs for the print house, and their manifests.

A campaign (``records.campaigns`` and its tasks) informs by post everyone it
cannot reach by e-mail: the record has been created, opens six weeks after the
notice unless the person opposes (Code de la santé publique, R1111-28), and
here is how to oppose or activate it early. This module only turns plain data
(:class:`LetterData`) into bytes; it never touches the database, so a task can
call it between loading a batch and committing the notices' state.

- :func:`render_batch` renders a whole batch (typically 1,000 letters) as ONE
  WeasyPrint document, one page per letter. Start-up, CSS parsing, font
  loading and font subsetting are paid once per batch, which is what makes a
  campaign of millions affordable: about 25 letters a second per core,
  2.2 times the one-by-one rate (``bench/letters.py``, ``docs/scaling.md``;
  the issue's target of 5 times is not reached, see there).
- :func:`render_one` renders one letter as its own document: the same text,
  at the full per-document cost. For a reprint, and as the bench's baseline.
- :func:`manifest_csv` lists the batch for the print house: page, reference,
  recipient and postal address, never the personal code nor anything about
  health.

Letters are always in French (they follow French postal and legal rules), so
the template ``templates/letters/letter.html`` holds plain French, without
gettext. Dates are spelt out by :func:`french_date`, independent of the
active language.

Safety: the template is autoescaped (a name containing ``<b>`` prints as
text), and WeasyPrint is given a URL fetcher that refuses every URL, so a
letter never fetches anything, whatever ends up in the HTML. Fonts are the
system's DejaVu (Debian's ``fonts-dejavu-core``), found through fontconfig;
nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

__all__ = [
    "DEFAULT_INSURER",
    "MANIFEST_COLUMNS",
    "PAGES_PER_LETTER",
    "WINDOW_MM",
    "Insurer",
    "LetterData",
    "LetterLayoutError",
    "RefusingURLFetcher",
    "french_date",
    "manifest_csv",
    "render_batch",
    "render_one",
]

TEMPLATE: Final = "letters/letter.html"
DEFAULT_SITE_NAME: Final = "messpace"
# Every letter fits on one page; render_batch checks it, so that the
# manifest's page numbers are those of the PDF.
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


def _html(letters: Sequence[LetterData], insurer: Insurer, site_name: str) -> str:
    margin = PAGE_MARGIN_MM
    window = WINDOW_MM
    return render_to_string(
        TEMPLATE,
        {
            "letters": letters,
            "insurer": insurer,
            "site_name": site_name,
            "margin": margin,
            # The address block inside the window, relative to the content box.
            "address_box": {
                "left": window["left"] + ADDRESS_PLAY_MM - margin["left"],
                "top": window["top"] + ADDRESS_PLAY_MM - margin["top"],
                "width": window["width"] - 2 * ADDRESS_PLAY_MM,
                "height": window["height"] - 2 * ADDRESS_PLAY_MM,
            },
            # The footer's last line ends about 2 mm above the bottom margin.
            "footer_top": 297 - margin["top"] - margin["bottom"] - 14,
        },
    )


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


def _render(letters: Sequence[LetterData], insurer: Insurer, site_name: str) -> bytes:
    fetcher = RefusingURLFetcher()
    with _cyclic_gc_paused():
        document = HTML(
            string=_html(letters, insurer, site_name), base_url=None, url_fetcher=fetcher
        ).render()
        pdf: bytes = document.write_pdf()
    expected = len(letters) * PAGES_PER_LETTER
    if len(document.pages) != expected:
        raise LetterLayoutError(
            f"{len(letters)} letters gave {len(document.pages)} pages, expected {expected}: "
            "a letter overflows its page (a very long name or address line?)."
        )
    return pdf


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
    :class:`LetterLayoutError` if a letter does not fit its page (the batch is
    then not printable as the manifest describes it).
    """
    if not letters:
        raise ValueError("An empty batch has no letters to render.")
    return _render(letters, insurer, site_name)


def render_one(
    letter: LetterData,
    *,
    insurer: Insurer = DEFAULT_INSURER,
    site_name: str = DEFAULT_SITE_NAME,
) -> bytes:
    """Render one letter as its own PDF: the same page as in a batch.

    Pays WeasyPrint's whole per-document cost for a single page; use
    :func:`render_batch` for anything more than a reprint.
    """
    return _render([letter], insurer, site_name)


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
