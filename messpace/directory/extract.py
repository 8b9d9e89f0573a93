"""The national directory's public extract, "personne activité", line by line.

The extract (``PS_LibreAcces_Personne_activite_*.txt``, published by the ANS
on annuaire.sante.fr) is UTF-8 text, one activity of one professional per
line, columns separated by ``|``, with a header line; a professional with
three places of practice has three lines. Of its 52 columns, the import reads
these (names as published; compared without case, accents or blanks):

| Column | Use |
|---|---|
| Type d'identifiant PP | ``8`` is an RPPS number; other types (``0`` ADELI) are refused |
| Identifiant PP | the RPPS number (11 digits, Luhn check digit) |
| Libellé civilité d'exercice | "Docteur"… (shown) |
| Nom d'exercice, Prénom d'exercice | the name the professional practises under |
| Code profession, Libellé profession | mapped to the portal's professions |
| Libellé savoir-faire | the specialty (doctors: general practice, cardiology…) |
| Libellé mode exercice | libéral, salarié… |
| Identifiant technique de la structure | the structure's stable id; a line without one has no place of practice |
| Raison sociale site, Enseigne commerciale site | the structure's name |
| Numéro SIRET site, Numéro FINESS site | the structure's identifiers |
| Numéro Voie, Indice répétition voie, Libellé type de voie, Libellé Voie (coord. structure) | its street address |
| Code postal, Libellé commune, Bureau cedex (coord. structure) | its postcode and town |
| Téléphone (coord. structure) | its phone |
| Libellé secteur d'activité | what kind of structure (pharmacy, laboratory…) |

Other columns are ignored; a file missing one of the required columns
(``Type d'identifiant PP``, ``Identifiant PP``, ``Nom d'exercice``,
``Code profession``) is refused as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from messpace.accounts.models import Profession, Specialty
from messpace.csvfile import column_name
from messpace.directory.folding import fold
from messpace.directory.models import StructureKind

DELIMITER = "|"
RPPS_TYPE = "8"

# Published column names, and the key this module reads each under.
COLUMNS = {
    "type": "Type d'identifiant PP",
    "rpps": "Identifiant PP",
    "civility": "Libellé civilité d'exercice",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession_code": "Code profession",
    "profession_label": "Libellé profession",
    "specialty_label": "Libellé savoir-faire",
    "mode": "Libellé mode exercice",
    "siret": "Numéro SIRET site",
    "finess": "Numéro FINESS site",
    "structure_id": "Identifiant technique de la structure",
    "company": "Raison sociale site",
    "sign": "Enseigne commerciale site",
    "number": "Numéro Voie (coord. structure)",
    "repeat": "Indice répétition voie (coord. structure)",
    "street_type": "Libellé type de voie (coord. structure)",
    "street": "Libellé Voie (coord. structure)",
    "postcode": "Code postal (coord. structure)",
    "city": "Libellé commune (coord. structure)",
    "cedex": "Bureau cedex (coord. structure)",
    "phone": "Téléphone (coord. structure)",
    "sector": "Libellé secteur d'activité",
}
REQUIRED = ("type", "rpps", "last_name", "profession_code")

# Professions of the extract (its "Code profession") and the portal's.
PROFESSIONS = {
    "10": Profession.GENERAL_PRACTITIONER,  # Médecin: refined by the specialty below
    "21": Profession.PHARMACIST,
    "40": Profession.DENTIST,
    "50": Profession.MIDWIFE,
    "60": Profession.NURSE,
    "70": Profession.PHYSIOTHERAPIST,
    "80": Profession.PODIATRIST,
    "91": Profession.SPEECH_THERAPIST,
    "93": Profession.PSYCHOLOGIST,
    "95": Profession.DIETITIAN,  # (86 is "Technicien de laboratoire médical")
}
DOCTOR = "10"
# A doctor's specialty ("Libellé savoir-faire", folded) → the portal's, by its first words.
SPECIALTIES = (
    ("medecine generale", ""),
    ("medecine d urgence", "urgence"),
    ("cardiologie", Specialty.CARDIOLOGY),
    ("dermatologie", Specialty.DERMATOLOGY),
    ("endocrinologie", Specialty.ENDOCRINOLOGY),
    ("gastro enterologie", Specialty.GASTROENTEROLOGY),
    ("geriatrie", Specialty.GERIATRICS),
    ("gynecologie", Specialty.GYNECOLOGY),
    ("nephrologie", Specialty.NEPHROLOGY),
    ("neurologie", Specialty.NEUROLOGY),
    ("oncologie", Specialty.ONCOLOGY),
    ("ophtalmologie", Specialty.OPHTHALMOLOGY),
    ("oto rhino", Specialty.ENT),
    ("pediatrie", Specialty.PEDIATRICS),
    ("pneumologie", Specialty.PNEUMOLOGY),
    ("psychiatrie", Specialty.PSYCHIATRY),
    ("radio", Specialty.RADIOLOGY),
    ("rhumatologie", Specialty.RHEUMATOLOGY),
)
# The structure's kind, from its sector of activity (folded), by a word it holds.
STRUCTURE_KINDS = (
    ("officine", StructureKind.PHARMACY),
    ("pharmacie", StructureKind.PHARMACY),
    ("laboratoire", StructureKind.LABORATORY),
    ("biologie", StructureKind.LABORATORY),
    ("etablissement", StructureKind.HOSPITAL),
    ("hopital", StructureKind.HOSPITAL),
    ("hospitalier", StructureKind.HOSPITAL),
    ("clinique", StructureKind.HOSPITAL),
    ("cabinet", StructureKind.PRACTICE),
    ("centre de sante", StructureKind.PRACTICE),
    ("maison de sante", StructureKind.PRACTICE),
)


@dataclass(frozen=True)
class StructureLine:
    technical_id: str
    kind: str
    name: str
    siret: str
    finess: str
    sector_label: str
    address: str
    postcode: str
    city: str
    phone: str


@dataclass
class ExtractLine:
    """One line, checked: either ``errors`` or a professional and perhaps a structure."""

    line: int
    rpps: str
    civility: str = ""
    last_name: str = ""
    first_name: str = ""
    profession: str = ""
    specialty: str = ""
    profession_label: str = ""
    specialty_label: str = ""
    mode: str = ""
    structure: StructureLine | None = None
    errors: list[str] = field(default_factory=list)


def header_keys(header_line: str) -> dict[str, int]:
    """Key → column index of the extract's header; ``ValidationError`` in French
    naming every required column missing."""
    cells = [column_name(cell) for cell in header_line.rstrip("\r\n").split(DELIMITER)]
    positions = {name: index for index, name in enumerate(cells) if name}
    found = {
        key: positions[column_name(published)]
        for key, published in COLUMNS.items()
        if column_name(published) in positions
    }
    missing = [COLUMNS[key] for key in REQUIRED if key not in found]
    if missing:
        raise ValidationError(
            _(
                "Ce fichier n’est pas une extraction « personne activité » de l’annuaire : "
                "colonnes absentes : %(missing)s (séparateur attendu : « | »)."
            )
            % {"missing": ", ".join(missing)},
            code="missing_columns",
        )
    return found


@lru_cache(maxsize=4096)
def _profession(code: str, label: str, specialty_label: str) -> tuple[str, str]:
    """(profession, specialty) of the portal for the extract's profession and savoir-faire."""
    if code != DOCTOR:
        return PROFESSIONS.get(code, Profession.OTHER), ""
    folded = fold(specialty_label)
    for start, specialty in SPECIALTIES:
        if folded.startswith(start):
            if specialty == "":
                return Profession.GENERAL_PRACTITIONER, ""
            if specialty == "urgence":
                return Profession.EMERGENCY_PHYSICIAN, ""
            return Profession.SPECIALIST, specialty
    # Another specialty, or none given: a specialist, named by the directory's words.
    return Profession.SPECIALIST, ""


@lru_cache(maxsize=4096)
def _kind(sector_label: str) -> str:
    folded = fold(sector_label)
    for word, kind in STRUCTURE_KINDS:
        if word in folded:
            return kind
    return StructureKind.OTHER


def _digits(value: str, length: int) -> str:
    compact = value.replace(" ", "")
    return compact if len(compact) == length and compact.isdigit() else ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Luhn's doubled digits, by digit.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    """The Luhn check of a string of ASCII digits (the RPPS number's last digit)."""
    total = sum(int(digit) for digit in digits[-1::-2])
    total += sum(_DOUBLED[int(digit)] for digit in digits[-2::-2])
    return total % 10 == 0


def check_line(number: int, cells: list[str], keys: dict[str, int]) -> ExtractLine:
    """Every rule of one line; no database access. ``number`` is its line in the file."""
    count = len(cells)

    def cell(key: str, limit: int = 200) -> str:
        index = keys.get(key)
        if index is None or index >= count:
            return ""
        value = cells[index]
        if not value.isprintable():  # NUL and other control characters: dropped
            value = _CONTROL.sub("", value)
        return value.strip()[:limit]

    rpps = cell("rpps", 20)
    checked = ExtractLine(line=number, rpps=rpps)
    kind = cell("type", 2)
    if kind != RPPS_TYPE:
        checked.errors.append(
            _(
                "Identifiant de type « %(kind)s » (ADELI ou autre) : l’annuaire ne reprend que "
                "les numéros RPPS (type 8)."
            )
            % {"kind": kind or "—"}
        )
        return checked
    if not (len(rpps) == 11 and rpps.isascii() and rpps.isdigit() and _luhn_valid(rpps)):
        checked.errors.append(
            _("Numéro RPPS « %(rpps)s » non valide (11 chiffres, clé de contrôle).")
            % {"rpps": rpps}
        )
    # The extract writes names in capitals: "GARNIER", "HÉLÈNE" become "Garnier", "Hélène".
    checked.last_name = cell("last_name", 150).title()[:150]
    checked.first_name = cell("first_name", 150).title()[:150]
    if not checked.last_name:
        checked.errors.append(_("Nom d’exercice manquant."))
    code = cell("profession_code", 4)
    if not code:
        checked.errors.append(_("Code profession manquant."))
    if checked.errors:
        return checked
    checked.civility = cell("civility", 40)
    checked.profession_label = cell("profession_label", 120)
    checked.specialty_label = cell("specialty_label", 120)
    checked.profession, checked.specialty = _profession(
        code, checked.profession_label, checked.specialty_label
    )
    if checked.profession == Profession.SPECIALIST and not checked.specialty:
        checked.specialty_label = checked.specialty_label or checked.profession_label or "Médecin"
    checked.mode = cell("mode", 60)
    structure_id = cell("structure_id", 32)
    if structure_id:
        street = " ".join(
            part
            for part in (cell("number"), cell("repeat"), cell("street_type"), cell("street"))
            if part
        )
        # The town, or the one of the "bureau cedex" ("75015 PARIS") when none is given.
        city = cell("city", 100) or cell("cedex", 100).partition(" ")[2]
        sector = cell("sector", 120)
        checked.structure = StructureLine(
            technical_id=structure_id,
            kind=_kind(sector),
            name=(cell("sign") or cell("company") or structure_id)[:200],
            siret=_digits(cell("siret", 20), 14),
            finess=_digits(cell("finess", 20), 9),
            sector_label=sector,
            address=street[:255],
            postcode=cell("postcode", 10),
            city=city.title()[:100],
            phone=cell("phone", 20),
        )
    return checked


def extract_lines(stream: IO[bytes], *, start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each data line after the first ``start`` ones (the
    header is line 1; blank lines are skipped but counted). A line that is not
    UTF-8 is given with no cells, for the caller to refuse."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 or number - 1 <= start:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, []
            continue
        if not text.strip():
            continue
        yield number, text.rstrip("\r\n").split(DELIMITER)
