"""The extract ``bench/directory.py`` imports: two million lines in the published
"personne activité" format, French-looking and seeded (see that script's
docstring for what the file holds). Generated line by line, never held whole.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from directory_vocabulary import (
    BIG_CITIES,
    DEPARTMENTS,
    FAMILY,
    GIVEN_F,
    GIVEN_M,
    PROFESSIONS,
    QUALIFIERS,
    SAINTS,
    SPECIALTIES,
    STEMS,
    STREET_TYPES,
    STREETS,
    SUFFIXES,
)
from stdnum import luhn

from messpace.directory.folding import fold

# The published header of the "personne activité" extract (52 columns, and the
# trailing separator the ANS writes on every line).
HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|"
    "Code profession|Libellé profession|Code catégorie professionnelle|"
    "Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|"
    "Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|"
    "Numéro FINESS établissement juridique|Identifiant technique de la structure|"
    "Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|"
    "Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|"
    "Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|Bureau cedex (coord. structure)|"
    "Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|"
    "Libellé pays (coord. structure)|Téléphone (coord. structure)|"
    "Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|"
    "Libellé Département (structure)|Ancien identifiant de la structure|"
    "Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|"
    "Code section tableau pharmaciens|Libellé section tableau pharmaciens|"
)
COLUMNS = HEADER.split("|")[:-1]
assert len(COLUMNS) == 52
C = {name: index for index, name in enumerate(COLUMNS)}


def zipf_weights(n: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, n + 1)]


class Picker:
    """Weighted draws by bisection on cumulative weights (``random.choices`` per draw
    costs more for millions of draws)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    commune_code: str
    department: str


def make_towns(count: int, rng: random.Random) -> list[Town]:
    """``count`` distinct towns, the big cities (with their arrondissements) first."""
    towns: list[Town] = []
    for name, dep, arrondissements in BIG_CITIES:
        for n in range(1, arrondissements + 1):
            if dep == "20":
                postcode = "20000"
            elif dep == "97":
                postcode = "97400"
            else:
                postcode = f"{dep}{n:03d}" if arrondissements > 1 else f"{dep}000"
            towns.append(Town(name, postcode, f"{dep}{100 + n:03d}", dep))
    seen = {town.name for town in towns}
    while len(towns) < count:
        if rng.random() < 0.12:
            name = f"SAINT-{rng.choice(SAINTS)}{rng.choice(QUALIFIERS)}"
        else:
            name = f"{rng.choice(STEMS)}{rng.choice(SUFFIXES)}{rng.choice(QUALIFIERS)}"
            if rng.random() < 0.08:
                name = f"{rng.choice(('LE', 'LA', 'LES'))} {name}"
        if name in seen:
            continue
        seen.add(name)
        dep = rng.choice(DEPARTMENTS)
        postcode = (
            f"{dep}{rng.randrange(10, 99) * 10:03d}"
            if dep not in ("20", "97")
            else (f"{dep}{rng.randrange(100, 290):03d}")
        )
        towns.append(Town(name, postcode, f"{dep}{rng.randrange(1, 999):03d}", dep))
    return towns


def rpps_number(serial: int) -> str:
    body = f"1{serial:09d}"
    return body + luhn.calc_check_digit(body)


@dataclass
class Sample:
    """A professional of the file, for the search queries."""

    family: str
    given: str
    town: str
    profession_word: str


class Extract:
    """The extract's generator: structures shared as in the directory, lines by RPPS."""

    def __init__(self, seed: int = 2026, towns: int = 35_000) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.towns = make_towns(towns, rng)
        self.town = Picker(self.towns, zipf_weights(len(self.towns), 0.9))
        self.family = Picker(FAMILY, zipf_weights(len(FAMILY), 0.75))
        self.given_f = Picker(GIVEN_F, zipf_weights(len(GIVEN_F), 0.6))
        self.given_m = Picker(GIVEN_M, zipf_weights(len(GIVEN_M), 0.6))
        self.profession = Picker(PROFESSIONS, [w for _c, _l, w in PROFESSIONS])
        self.specialty = Picker(SPECIALTIES, [w for _c, _l, w in SPECIALTIES])
        self.serial = itertools.count(1)
        # Hospitals and clinics (big ones weigh most), pharmacies, laboratories.
        self.hospitals = Picker(
            [self._structure("hospital") for _ in range(3000)], zipf_weights(3000, 0.8)
        )
        self.pharmacies = [self._structure("pharmacy") for _ in range(21_000)]
        self.laboratories = [self._structure("laboratory") for _ in range(4000)]
        self.groups: list[list[str]] = []
        self.samples: list[Sample] = []

    def _structure(self, kind: str, town: Town | None = None, family: str = "") -> list[str]:
        """The structure's cells (name, address, town, identifiers…), as a 52-cell line."""
        rng = self.rng
        town = town or self.town(rng)
        serial = next(self.serial)
        cells = [""] * 52
        if kind == "hospital":
            if rng.random() < 0.6:
                name = rng.choice(("CENTRE HOSPITALIER", "CH", "CHU", "HÔPITAL")) + (
                    f" DE {town.name}"
                )
                sector = ("SA01", "Etablissement public de santé")
            else:
                name = f"CLINIQUE {rng.choice(('SAINT', 'SAINTE'))}-{rng.choice(SAINTS)}"
                sector = ("SA02", "Etablissement privé")
            cells[C["Numéro FINESS site"]] = f"{town.department[:2]}{rng.randrange(10**7):07d}"
        elif kind == "pharmacy":
            name = rng.choice(
                (
                    "PHARMACIE DU CENTRE",
                    "PHARMACIE DE LA GARE",
                    f"PHARMACIE {family or self.family(rng)}",
                    f"PHARMACIE DES {rng.choice(('TILLEULS', 'HALLES', 'ARCADES', 'ÉCOLES'))}",
                    f"GRANDE PHARMACIE DE {town.name}",
                )
            )
            sector = ("SA33", "Pharmacie d'officine")
            cells[C["Numéro FINESS site"]] = f"{town.department[:2]}{rng.randrange(10**7):07d}"
        elif kind == "laboratory":
            name = f"LABORATOIRE DE BIOLOGIE MÉDICALE {rng.choice(STEMS)}{rng.choice(SUFFIXES)}"
            sector = ("SA25", "Laboratoire de biologie médicale")
        elif kind == "group":
            name = rng.choice(
                (
                    f"MAISON DE SANTÉ PLURIPROFESSIONNELLE DE {town.name}",
                    f"CABINET MÉDICAL {rng.choice(STREETS)}",
                    f"CENTRE DE SANTÉ {rng.choice(SAINTS)}",
                    f"CABINET DE GROUPE {town.name}",
                )
            )
            sector = (
                ("SA09", "Centre de santé") if "CENTRE" in name else ("SA08", "Cabinet de groupe")
            )
        else:
            name = f"CABINET {family}" if family else "CABINET"
            sector = ("SA07", "Cabinet individuel")
        cells[C["Identifiant technique de la structure"]] = f"S{town.department[:2]}{serial:010d}"
        cells[C["Raison sociale site"]] = name
        if rng.random() < 0.2:
            cells[C["Enseigne commerciale site"]] = name
        if rng.random() < 0.7:
            siret = f"{rng.randrange(10**8, 10**9)}{rng.randrange(10**5):05d}"
            cells[C["Numéro SIRET site"]] = siret
            cells[C["Numéro SIREN site"]] = siret[:9]
        street_code, street_type = rng.choice(STREET_TYPES)
        cells[C["Numéro Voie (coord. structure)"]] = str(rng.randint(1, 180))
        if rng.random() < 0.05:
            cells[C["Indice répétition voie (coord. structure)"]] = "B"
        cells[C["Code type de voie (coord. structure)"]] = street_code
        cells[C["Libellé type de voie (coord. structure)"]] = street_type
        cells[C["Libellé Voie (coord. structure)"]] = rng.choice(STREETS)
        cells[C["Bureau cedex (coord. structure)"]] = f"{town.postcode} {town.name}"
        cells[C["Code postal (coord. structure)"]] = town.postcode
        cells[C["Code commune (coord. structure)"]] = town.commune_code
        cells[C["Libellé commune (coord. structure)"]] = town.name
        if rng.random() < 0.8:
            cells[C["Téléphone (coord. structure)"]] = (
                f"0{rng.randint(1, 5)}{rng.randrange(10**8):08d}"
            )
        cells[C["Code Département (structure)"]] = town.department
        cells[C["Code secteur d'activité"]], cells[C["Libellé secteur d'activité"]] = sector
        return cells

    def _place(self, code: str, liberal: bool, family: str) -> list[str]:
        """Where a professional of this profession practises: a shared structure or their own."""
        rng = self.rng
        if code == "21":
            return rng.choice(self.pharmacies)
        if code == "86" or (code == "10" and not liberal and rng.random() < 0.1):
            return rng.choice(self.laboratories)
        if not liberal:
            return self.hospitals(rng)
        if rng.random() < 0.45 and self.groups:
            # A group practice: mostly a recent one (colleagues join one another).
            return self.groups[-rng.randint(1, min(len(self.groups), 400))]
        if rng.random() < 0.25:
            group = self._structure("group")
            self.groups.append(group)
            return group
        return self._structure("practice", family=family)

    def lines(self, count: int) -> Iterator[str]:
        """``count`` data lines (without the header), each ending with ``|``."""
        rng = self.rng
        written = 0
        serial = 0
        while written < count:
            serial += rng.randint(1, 3)
            rpps = rpps_number(serial)
            female = rng.random() < 0.6
            family = self.family(rng)
            if rng.random() < 0.04:
                family = f"{family}-{self.family(rng)}"
            given = (self.given_f if female else self.given_m)(rng)
            code, label, _w = self.profession(rng)
            head = [""] * 19
            head[0], head[1], head[2] = "8", rpps, "8" + rpps
            head[5], head[6] = ("MME", "Madame") if female else ("M", "Monsieur")
            head[7], head[8] = family, given
            head[9], head[10] = code, label
            head[11], head[12] = "C", "Civil"
            specialty_word = label.split("-")[0].split()[0]
            if code in ("10", "40") or (code == "21" and rng.random() < 0.3):
                head[3], head[4] = "DR", "Docteur"
            if code == "10":
                sf_code, sf_label, _w = self.specialty(rng)
                head[13], head[14], head[15], head[16] = (
                    "S",
                    "Spécialité ordinale",
                    sf_code,
                    sf_label,
                )
                specialty_word = (
                    "generaliste" if sf_code == "SM54" else fold(sf_label).split()[0][:6]
                )
            fault = rng.random()
            if fault < 0.005:  # an ADELI line (type 0): refused with its reason
                head[0], head[1], head[2] = "0", f"{rng.randrange(10**8, 10**9)}", ""
            elif fault < 0.0055:
                head[1] = rpps[:10] + str((int(rpps[10]) + 1) % 10)  # wrong check digit
            elif fault < 0.0058:
                head[7] = ""
            elif fault < 0.006:
                head[9] = ""
            places = 1 if rng.random() < 0.76 else (2 if rng.random() < 0.75 else 3)
            liberal = rng.random() < (0.45 if code in ("60", "10") else 0.85)
            for n in range(places):
                if written >= count:
                    break
                if n == 0 and rng.random() < 0.02:
                    cells = [""] * 52  # no place of practice listed
                else:
                    cells = self._place(code, liberal if n == 0 else rng.random() < 0.7, family)
                head[17], head[18] = ("L", "Libéral") if liberal else ("S", "Salarié")
                line = head + cells[19:]
                line[47] = "CNOM/CNOM/CNOM" if code == "10" else "ARS/ARS/ARS"
                if code == "21":
                    line[50], line[51] = "A", "Pharmacien titulaire d'officine"
                written += 1
                yield "|".join(line) + "|"
            if serial % 4000 < 3 and len(self.samples) < 3000:
                town = cells[C["Libellé commune (coord. structure)"]]
                if town and head[0] == "8" and head[7] and head[9]:
                    self.samples.append(Sample(family, given, town, specialty_word))


def write_extract(path: Path, rows: int) -> Extract:
    extract = Extract()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        buffer: list[str] = []
        for line in extract.lines(rows):
            buffer.append(line)
            if len(buffer) >= 10_000:
                out.write("\r\n".join(buffer) + "\r\n")
                buffer.clear()
        if buffer:
            out.write("\r\n".join(buffer) + "\r\n")
    return extract
