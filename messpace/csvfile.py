"""Reading the CSV files operators upload: cohorts of insured persons, campaign returns.

One reader for every import, so that they accept and refuse the same files
with the same French messages:

- **encoding**: UTF-8 with or without BOM first (strictly); UTF-16 when the
  file starts with its BOM (Excel's "Unicode text"); otherwise Windows-1252,
  the encoding of French spreadsheet and insurer exports (a superset of
  Latin-1 for printable text). A file that fits none, or holds NUL
  characters, is refused;
- **separator**: ``;`` or ``,``, whichever the header line holds more of;
- **header**: names compared without case, accents or surrounding blanks,
  blanks and hyphens read as ``_`` (``Date de naissance`` is
  ``date_de_naissance``), each caller's aliases applied; a name given twice
  is refused;
- **lines**: the CSV module in strict mode, so that an unclosed quote is an
  error naming its line rather than a field running to the end of the file;
  blank lines are skipped.

Callers check their own columns and cells. The file is read in memory only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

_BLANKS_OR_HYPHENS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class CsvText:
    """A decoded CSV file: its text (without BOM), the encoding it came in, its
    separator and its header's column names (normalised)."""

    text: str
    encoding: str
    delimiter: str
    header: tuple[str, ...]


@dataclass(frozen=True)
class CsvRow:
    """One data line: its number in the file (the header is line 1), its values by
    column, and how many values it holds beyond the header's columns."""

    line: int
    values: dict[str, str]
    extra: int = 0


def human_size(size: int) -> str:
    """A size in words for messages: « 640 Ko », « 2,0 Mo »."""
    if size < 1024 * 1024:
        return _("%(size)s Ko") % {"size": number_format(size / 1024, decimal_pos=0)}
    return _("%(size)s Mo") % {"size": number_format(size / (1024 * 1024), decimal_pos=1)}


def too_large_message(max_bytes: int, size: int | None = None) -> str:
    """The French refusal of a file over ``max_bytes``, with its size when known."""
    if size is None:
        return _(
            "Le fichier dépasse la taille maximale de %(max)s : découpez-le en plusieurs fichiers."
        ) % {"max": human_size(max_bytes)}
    return _(
        "Le fichier pèse %(size)s, au-delà de la taille maximale de %(max)s : "
        "découpez-le en plusieurs fichiers."
    ) % {"size": human_size(size), "max": human_size(max_bytes)}


def csv_decode(content: bytes) -> tuple[str, str]:
    """The text of ``content`` and the name of its encoding, or a French ``ValidationError``."""
    text: str | None = None
    encoding = ""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            text = None
    else:
        try:
            text, encoding = content.decode("utf-8-sig"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = content.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                text = None
    if text is None:
        raise ValidationError(
            _(
                "L’encodage du fichier n’est pas reconnu : enregistrez-le en CSV UTF-8 "
                "(ou Windows-1252)."
            ),
            code="encoding",
        )
    if "\x00" in text:
        raise ValidationError(
            _("Le fichier contient des données binaires : ce n’est pas un fichier CSV."),
            code="binary",
        )
    return text.lstrip("\ufeff"), encoding


def plain(value: str) -> str:
    """Lower case, without accents or surrounding blanks and quotes: how names compare."""
    value = unicodedata.normalize("NFKD", value.strip().strip('"').strip().lower())
    return "".join(c for c in value if not unicodedata.combining(c))


def column_name(value: str, aliases: Mapping[str, str] | None = None) -> str:
    """A header cell as compared: ``Date de naissance`` → ``date_de_naissance``."""
    name = _BLANKS_OR_HYPHENS.sub("_", plain(value))
    return (aliases or {}).get(name, name)


def sniff_delimiter(first_line: str) -> str:
    """``;`` or ``,``, whichever the header line uses most; a French error if neither."""
    semicolons, commas = first_line.count(";"), first_line.count(",")
    if not semicolons and not commas:
        raise ValidationError(
            _(
                "Séparateur introuvable sur la ligne d’en-tête : les colonnes doivent être "
                "séparées par « ; » ou « , »."
            ),
            code="delimiter",
        )
    return ";" if semicolons >= commas else ","


def csv_open(
    content: bytes, *, max_bytes: int | None, aliases: Mapping[str, str] | None = None
) -> CsvText:
    """Check a CSV file as a whole and read its header; raises ``ValidationError`` in French.

    Refuses a file over ``max_bytes`` (None: a file already checked), an empty file, an unknown encoding,
    binary content, a header line that is empty or has neither ``;`` nor
    ``,``, and a column named twice. The caller checks which columns it needs.
    """
    if max_bytes is not None and len(content) > max_bytes:
        raise ValidationError(too_large_message(max_bytes, len(content)), code="too_large")
    if not content.strip():
        raise ValidationError(_("Le fichier est vide."), code="empty")
    text, encoding = csv_decode(content)
    first_line = text.split("\n", 1)[0].strip("\r")
    if not first_line.strip():
        raise ValidationError(
            _("La première ligne doit contenir les noms des colonnes ; elle est vide."),
            code="header",
        )
    delimiter = sniff_delimiter(first_line)
    try:
        cells = next(csv.reader([first_line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ValidationError(
            _("Le fichier CSV est mal formé à la ligne %(line)d (guillemet non fermé ?).")
            % {"line": 1},
            code="csv",
        ) from exc
    header = tuple(column_name(cell, aliases) for cell in cells)
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ValidationError(
            _("Colonnes en double dans l’en-tête : %(columns)s.")
            % {"columns": ", ".join(repeated)},
            code="header",
        )
    return CsvText(text=text, encoding=encoding, delimiter=delimiter, header=header)


def csv_rows(parsed: CsvText) -> Iterator[CsvRow]:
    """The data lines of a checked file, skipping blank ones.

    Raises ``ValidationError`` for a line the CSV reader cannot parse (an
    unclosed quote…), naming the line.
    """
    reader = csv.reader(
        io.StringIO(parsed.text, newline=""), delimiter=parsed.delimiter, strict=True
    )
    header = parsed.header
    try:
        next(reader)
        for row in reader:
            if not any(value.strip() for value in row):
                continue
            values = {name: value for name, value in zip(header, row, strict=False) if name}
            yield CsvRow(line=reader.line_num, values=values, extra=max(0, len(row) - len(header)))
    except csv.Error as exc:
        raise ValidationError(
            _("Le fichier CSV est mal formé à la ligne %(line)d (guillemet non fermé ?).")
            % {"line": reader.line_num},
            code="csv",
        ) from exc
