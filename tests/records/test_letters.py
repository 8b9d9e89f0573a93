"""Opt-out information letters: PDF content, envelope window, manifest, safety.

No database: ``records.letters`` turns plain data into bytes. The batch is
rendered once per module (WeasyPrint costs tens of milliseconds a page).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import socket
from typing import Any

import pytest
from pypdf import PdfReader

from records.letters import (
    MANIFEST_COLUMNS,
    PAGES_PER_LETTER,
    WINDOW_MM,
    Insurer,
    LetterData,
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


def test_minor_letter_names_guardian_and_child(pages: list[str]) -> None:
    text = _flat(pages[2])
    assert "Mme Charlotte PETIT" in text
    assert "Léo PETIT" in text
    assert "représentant légal de Léo PETIT" in text
    assert "la date de naissance de Léo PETIT" in text


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


def test_render_one_gives_the_same_page_as_the_batch(pages: list[str]) -> None:
    alone = PdfReader(io.BytesIO(render_one(CHARLIE, insurer=INSURER))).pages
    assert len(alone) == PAGES_PER_LETTER
    assert alone[0].extract_text() == pages[2]


def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN markup and URLs in every field WHEN rendering THEN no socket is opened."""

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a letter tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    hostile = _letter(
        recipient_name='<img src="http://evil.example/a.png"><link rel=stylesheet href=http://evil.example/s.css>',
        oppose_url="http://evil.example/<style>@import url(http://evil.example/i.css)</style>",
    )
    pdf = render_one(hostile)
    assert "evil.example/a.png" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


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
