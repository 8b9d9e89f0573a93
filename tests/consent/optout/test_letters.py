"""Opt-out information letters: PDF content, envelope window, manifest, safety.

No database: ``consent.optout.letters`` turns plain data into bytes. The batches are
rendered once per module (WeasyPrint costs milliseconds a page). A batch is a
background per variant of the shared text with each letter's fields laid over
it: the tests read the PDF as a reader would (pypdf's text extraction and
the positions of the text runs), so they hold whatever the merge does.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import socket
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from consent.optout.letters import (
    MANIFEST_COLUMNS,
    PAGES_PER_LETTER,
    SLOTS,
    WINDOW_MM,
    Insurer,
    LetterData,
    LetterLayoutError,
    RefusingURLFetcher,
    french_date,
    manifest_csv,
    render_batch,
    render_one,
)

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT_PT = 297 * MM
URL = "https://messpace.example.fr/opposition/"
INSURER = Insurer(
    name="CPAM de la Loire",
    address_lines=("3 avenue du Président Fauriel", "42000 Saint-Étienne"),
    phone="36 46",
)


def _letter(**changes: Any) -> LetterData:
    base = LetterData(
        reference="C12-000345",
        recipient_name="Mme Camille MOREAU",
        address_lines=("14 avenue Jean Jaurès", "69007 Lyon"),
        patient_name="Mme Camille MOREAU",
        for_minor=False,
        code="7KQ4-M2XD-9PLA",
        notified_on=dt.date(2026, 11, 21),
        opens_on=dt.date(2027, 1, 2),
        oppose_url=URL,
    )
    return dataclasses.replace(base, **changes)


ALICE = _letter()
# A name that is also markup: it must print as text, and fetch nothing.
BOB = _letter(
    reference="C12-000346",
    recipient_name="M. Bob <b>DURAND</b> & <img src=http://evil.example/x.png>",
    address_lines=("Bâtiment C", "2 rue de la Paix", "BP 12", "75002 Paris"),
    patient_name="M. Bob DURAND",
    code="ZZ99-AB12-CD34",
)
# A guardian informed about her child's record.
CHARLIE = _letter(
    reference="C12-000347",
    recipient_name="Mme Charlotte PETIT",
    address_lines=("Hauptstraße 5", "D-10115 Berlin", "ALLEMAGNE"),
    patient_name="Léo PETIT",
    for_minor=True,
    code="MNOP-QRST-UVWX",
)
LETTERS = (ALICE, BOB, CHARLIE)


@pytest.fixture(scope="module")
def batch_pdf() -> bytes:
    return render_batch(LETTERS, insurer=INSURER)


@pytest.fixture(scope="module")
def pages(batch_pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(batch_pdf)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_batch_has_one_page_per_letter_in_order(batch_pdf: bytes, pages: list[str]) -> None:
    assert batch_pdf.startswith(b"%PDF-")
    assert len(pages) == len(LETTERS) * PAGES_PER_LETTER
    for letter, text in zip(LETTERS, pages, strict=True):
        assert letter.reference in text
        assert letter.code in text


def test_letter_states_opening_date_in_french_and_how_to_oppose(pages: list[str]) -> None:
    text = _flat(pages[0])
    assert "Mme Camille MOREAU" in text
    assert "2 janvier 2027" in text
    assert "21 novembre 2026" in text
    assert URL in text
    assert "36 46" in text
    assert "R1111-28" in text
    assert "CPAM de la Loire" in text


def test_html_in_a_name_prints_as_text(pages: list[str]) -> None:
    # The name wraps in the address block: compare without whitespace.
    assert "M.Bob<b>DURAND</b>&<imgsrc=http://evil.example/x.png>" in "".join(pages[1].split())


def test_minor_letter_names_guardian_and_child(batch_pdf: bytes, pages: list[str]) -> None:
    """GIVEN a guardian's letter THEN it is addressed to her and names the child
    as the profile's holder, on the holder's line (a field over the background,
    hence compared by position rather than in extraction order)."""
    text = _flat(pages[2])
    assert "Mme Charlotte PETIT" in text
    assert "représentant légal de l'enfant nommé ci-dessus" in text
    assert "la date de naissance de l'enfant" in text
    page = PdfReader(io.BytesIO(batch_pdf)).pages[2]
    found = _positions(page, ("Titulaire du profil", "Léo PETIT"))
    (label_x, label_y), (name_x, name_y) = found["Titulaire du profil"], found["Léo PETIT"]
    assert name_y == pytest.approx(label_y, abs=0.5)
    assert label_x < name_x < label_x + 60 * MM
    assert "Titulaire du profil" not in _flat(pages[0])


def test_recipient_sits_in_the_envelope_window(batch_pdf: bytes) -> None:
    """GIVEN a letter WHEN folded into a DL window envelope THEN its address shows.

    The window is ``WINDOW_MM`` from the sheet's top-left corner; PDF points
    run from the bottom-left, so the rectangle is flipped.
    """
    left = WINDOW_MM["left"] * MM
    right = (WINDOW_MM["left"] + WINDOW_MM["width"]) * MM
    top = A4_HEIGHT_PT - WINDOW_MM["top"] * MM
    bottom = A4_HEIGHT_PT - (WINDOW_MM["top"] + WINDOW_MM["height"]) * MM
    reader = PdfReader(io.BytesIO(batch_pdf))
    for letter, page in zip(LETTERS, reader.pages, strict=True):
        wanted = (letter.recipient_name[:8], letter.address_lines[-1][:8])
        found = _positions(page, wanted)
        assert set(found) == set(wanted), (letter.reference, found)
        for x, y in found.values():
            assert left <= x <= right - 20 * MM
            assert bottom <= y <= top


def _positions(page: Any, wanted: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Where, in PDF points, the text runs starting with ``wanted`` begin."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        for start in wanted:
            if text.startswith(start) and start not in found:
                found[start] = (x, y)

    page.extract_text(visitor_text=visit)
    return found


def _runs(page: Any) -> list[tuple[str, float, float]]:
    """Every text run of ``page`` with where it starts, in PDF points: what a
    reader sees, whatever order the content streams draw it in."""
    runs: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), round(x, 1), round(y, 1)))

    page.extract_text(visitor_text=visit)
    return sorted(runs)


def test_render_one_gives_the_same_page_as_the_batch(batch_pdf: bytes) -> None:
    """GIVEN a letter rendered alone (one WeasyPrint document, slots filled)
    THEN its page has the same text at the same places as its page in the
    batch (background and fields merged)."""
    batch = PdfReader(io.BytesIO(batch_pdf)).pages
    for index, letter in enumerate(LETTERS):
        alone = PdfReader(io.BytesIO(render_one(letter, insurer=INSURER))).pages
        assert len(alone) == PAGES_PER_LETTER
        assert _runs(alone[0]) == _runs(batch[index]), letter.reference


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch, batched: bool) -> None:
    """GIVEN markup and URLs in every field WHEN rendering THEN no socket is opened."""

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a letter tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    hostile = _letter(
        recipient_name='<img src="http://evil.example/a.png"><link rel=stylesheet href=http://evil.example/s.css>',
        oppose_url="http://evil.example/<style>@import url(http://evil.example/i.css)</style>",
    )
    pdf = render_batch([hostile]) if batched else render_one(hostile)
    text = "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "evil.example/a.png" in text
    assert "@importurl(http://evil.example/i.css)" in text


def test_the_fetcher_refuses_every_url() -> None:
    fetcher = RefusingURLFetcher()
    for url in ("http://evil.example/x.png", "file:///etc/passwd", "data:text/css,p{}"):
        with pytest.raises(ValueError, match="fetch no resources"):
            fetcher(url)
    assert len(fetcher.refused) == 3


def _manifest_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_manifest_lists_each_letter_with_its_page_and_address() -> None:
    rows = _manifest_rows(manifest_csv(LETTERS, batch_number=7))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [row["reference"] for row in rows] == [letter.reference for letter in LETTERS]
    assert [row["page"] for row in rows] == ["1", "2", "3"]
    assert {row["lot"] for row in rows} == {"7"}
    assert rows[0]["destinataire"] == "Mme Camille MOREAU"
    assert (rows[0]["adresse_1"], rows[0]["adresse_2"], rows[0]["adresse_3"]) == (
        "14 avenue Jean Jaurès",
        "69007 Lyon",
        "",
    )
    assert (rows[0]["code_postal"], rows[0]["ville"], rows[0]["pays"]) == ("69007", "Lyon", "")
    assert (rows[2]["code_postal"], rows[2]["ville"], rows[2]["pays"]) == (
        "D-10115",
        "Berlin",
        "ALLEMAGNE",
    )


def test_manifest_never_holds_the_code_nor_the_patient() -> None:
    data = manifest_csv(LETTERS, batch_number=1).decode("utf-8-sig")
    for letter in LETTERS:
        assert letter.code not in data
    assert "Léo PETIT" not in data
    assert "2027" not in data


def test_manifest_defuses_spreadsheet_formulas() -> None:
    rows = _manifest_rows(manifest_csv([_letter(recipient_name="=HYPERLINK(1)")], batch_number=1))
    assert rows[0]["destinataire"] == "'=HYPERLINK(1)"


def test_letter_data_rejects_what_cannot_be_posted() -> None:
    with pytest.raises(ValueError, match="address lines"):
        _letter(address_lines=tuple(f"ligne {i}" for i in range(7)))
    with pytest.raises(ValueError, match="open after"):
        _letter(opens_on=dt.date(2026, 11, 21))
    with pytest.raises(ValueError, match="empty batch"):
        render_batch([])


@pytest.mark.parametrize(
    ("day", "spelt"),
    [
        (dt.date(2027, 1, 2), "2 janvier 2027"),
        (dt.date(2027, 3, 1), "1er mars 2027"),
        (dt.date(2026, 8, 15), "15 août 2026"),
    ],
)
def test_french_date(day: dt.date, spelt: str) -> None:
    assert french_date(day) == spelt


# --- A batch as a campaign prints it: backgrounds shared, fields per letter ---


def _many(count: int) -> list[LetterData]:
    """``count`` letters, each name and code its own (equal lengths, so that
    none is part of another); every fifth to a guardian, every seventh
    opening a day later: four variants of the shared text."""
    letters = []
    for i in range(count):
        minor = i % 5 == 0
        letters.append(
            _letter(
                reference=f"C12-{i:06d}",
                recipient_name=f"Mme Nom{i:03d} MOREAU",
                address_lines=(f"{i + 1} rue de la République", "69007 Lyon"),
                patient_name=f"Enfant{i:03d} MOREAU" if minor else f"Mme Nom{i:03d} MOREAU",
                for_minor=minor,
                code=f"K{i:03d}-M2XD-9PLA",
                opens_on=dt.date(2027, 1, 3) if i % 7 == 3 else dt.date(2027, 1, 2),
            )
        )
    return letters


MANY = _many(100)


@pytest.fixture(scope="module")
def many_pdf() -> bytes:
    return render_batch(MANY, insurer=INSURER)


@pytest.fixture(scope="module")
def many_pages(many_pdf: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in PdfReader(io.BytesIO(many_pdf)).pages]


def test_each_page_holds_its_own_letter_and_no_other(many_pages: list[str]) -> None:
    """GIVEN 100 letters in one PDF THEN page N has letter N's code, reference,
    name and opening date, and nothing personal to another letter."""
    assert len(many_pages) == len(MANY) * PAGES_PER_LETTER
    for letter, text in zip(MANY, many_pages, strict=True):
        assert [other.code for other in MANY if other.code in text] == [letter.code]
        assert [o.reference for o in MANY if o.reference in text] == [letter.reference]
        assert [o.recipient_name for o in MANY if o.recipient_name in text] == [
            letter.recipient_name
        ]
        assert f"{letter.address_lines[0]} {letter.address_lines[1]}" in text
        assert letter.opens_on_fr in text
        other_day = dt.date(2027, 1, 2 if letter.opens_on.day == 3 else 3)
        assert french_date(other_day) not in text
        children = [o.patient_name for o in MANY if o.for_minor and o.patient_name in text]
        assert children == ([letter.patient_name] if letter.for_minor else [])
        assert ("Titulaire du profil" in text) is letter.for_minor


def test_shared_text_is_on_every_page(many_pages: list[str]) -> None:
    for text in many_pages:
        assert "Sauf opposition de votre part" in text
        assert "article R1111-28 du code de la santé publique" in text
        assert URL in text
        assert "Code personnel, à conserver sans le communiquer" in text
        assert "Ce courrier ne contient aucune information de santé." in text
        assert "CPAM de la Loire" in text
        assert "Le 21 novembre 2026" in text


def _backgrounds(page: Any) -> list[int]:
    """The object numbers of the Form XObjects ``page`` draws."""
    xobjects = page["/Resources"]["/XObject"]
    return [xobjects.raw_get(name).idnum for name in xobjects]


def test_shared_text_is_stored_once_per_variant(many_pdf: bytes) -> None:
    """GIVEN 100 letters in four variants THEN the pages share four background
    forms, and the PDF weighs a fraction of the letters rendered alone."""
    reader = PdfReader(io.BytesIO(many_pdf))
    forms = [_backgrounds(page) for page in reader.pages]
    assert all(len(page_forms) == 1 for page_forms in forms)
    assert len({form for (form,) in forms}) == len({(o.for_minor, o.opens_on) for o in MANY})
    alone = len(render_one(MANY[1], insurer=INSURER))
    assert len(many_pdf) < len(MANY) * alone / 5
    assert len(many_pdf) / len(MANY) < 2 * 1024


def _fonts(resources: DictionaryObject) -> list[DictionaryObject]:
    """The fonts of ``resources`` and of the forms it draws."""
    fonts = list(resources.get("/Font", DictionaryObject()).values())
    for xobject in resources.get("/XObject", DictionaryObject()).values():
        fonts += _fonts(xobject["/Resources"])
    return fonts


def test_fonts_are_embedded_and_text_selectable(batch_pdf: bytes, pages: list[str]) -> None:
    for page in PdfReader(io.BytesIO(batch_pdf)).pages:
        fonts = _fonts(page["/Resources"])
        assert len(fonts) >= 3  # background and fields, sans and mono
        for font in fonts:
            descriptor = font["/DescendantFonts"][0]["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
            assert "/ToUnicode" in font  # text extraction, copy and paste
    assert all("Code personnel" in text for text in pages)


SIX_LINES = (
    "Bâtiment C",
    "Escalier 4",
    "Appartement 12",
    "2 rue de la Paix",
    "BP 12",
    "75002 Paris",
)


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
@pytest.mark.parametrize(
    "changes",
    [
        # Six address lines fill the window with the name: a line more is one too many.
        pytest.param(
            {"recipient_name": "Mme Marie-Charlotte " * 3, "address_lines": SIX_LINES},
            id="name",
        ),
        pytest.param(
            {"address_lines": ("Résidence " * 8, *SIX_LINES[1:])},
            id="address",
        ),
        pytest.param({"code": "7KQ4-M2XD-9PLA-" * 4}, id="code"),
        pytest.param({"reference": "C12-" + "0" * 40}, id="reference"),
        pytest.param({"for_minor": True, "patient_name": "Marie-" * 30 + "PETIT"}, id="child"),
    ],
)
def test_a_field_too_long_for_its_slot_is_refused(changes: dict[str, Any], batched: bool) -> None:
    """GIVEN a field that would overflow its slot (over the shared text, or out
    of the envelope's window) WHEN rendering THEN LetterLayoutError."""
    letter = _letter(**changes)
    with pytest.raises(LetterLayoutError, match="does not fit"):
        if batched:
            render_batch([ALICE, letter, CHARLIE], insurer=INSURER)
        else:
            render_one(letter, insurer=INSURER)


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
def test_the_longest_postal_address_fits_the_window(batched: bool) -> None:
    """GIVEN a name and six address lines, the most a letter takes THEN all
    seven lines print inside the window, none cut."""
    letter = _letter(
        recipient_name="Mme Marie-Charlotte DE LA TOUR",
        address_lines=(
            "Chez M. Jean-Baptiste DURAND",
            "Bât. C, escalier 4, appt 12",
            "Résidence Les Tilleuls",
            "12 bis avenue du Président",
            "BP 12345",
            "42000 Saint-Étienne Cedex 1",
        ),
    )
    pdf = render_batch([letter]) if batched else render_one(letter)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    wanted = (letter.recipient_name, *letter.address_lines)
    found = _positions(page, wanted)
    assert set(found) == set(wanted)
    bottom = A4_HEIGHT_PT - (WINDOW_MM["top"] + WINDOW_MM["height"]) * MM
    # The baseline of the last line, with room under it for its descenders.
    assert min(y for _x, y in found.values()) > bottom + 2 * MM


@pytest.mark.parametrize("batched", [False, True], ids=["one", "batch"])
def test_shared_text_pushed_out_of_its_room_is_refused(batched: bool) -> None:
    """GIVEN a letterhead or a site name too long for the page's layout THEN
    LetterLayoutError, rather than text over text or a second page."""
    long_letterhead = dataclasses.replace(
        INSURER, address_lines=tuple(f"Service {i}" for i in range(14))
    )
    for insurer, site_name in ((long_letterhead, "messpace"), (INSURER, "messpace " * 80)):
        with pytest.raises(LetterLayoutError):
            if batched:
                render_batch([ALICE], insurer=insurer, site_name=site_name)
            else:
                render_one(ALICE, insurer=insurer, site_name=site_name)


def test_slot_sizes_are_written_with_a_decimal_point_in_french() -> None:
    """GIVEN the site's French locale (decimal comma) THEN the CSS of the
    fields keeps decimal points, or WeasyPrint would drop the sizes."""
    with translation.override("fr"):
        css = render_to_string("letters/fields.css", {"slots": SLOTS})
    assert "font-size: 10.5pt" in css
    assert "10,5" not in css
