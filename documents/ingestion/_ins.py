"""The patient identifier (INS) as documents carry it."""

from __future__ import annotations

import re

from stdnum.fr import nir

# OIDs of the INS-NIR: the real one, the test one (ANS samples) and the demonstration one.
INS_OIDS: dict[str, str] = {
    "1.2.250.1.213.1.4.8": "INS-NIR",
    "1.2.250.1.213.1.4.10": "INS-NIR de test",
    "1.2.250.1.213.1.4.11": "INS-NIR de démonstration",
}
INS_FHIR_SYSTEMS: frozenset[str] = frozenset(f"urn:oid:{oid}" for oid in INS_OIDS)

# 15 characters: sex, year, month, department (2A/2B for Corsica), commune, order, key.
_NIR_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")


def clean_ins(value: str | None, notes: list[str]) -> str | None:
    """The INS as 15 characters, or ``None`` if ``value`` is empty.

    A value of the wrong shape or with a wrong key is still returned (with a
    note): a document that names an invalid INS must not match any patient,
    which returning ``None`` (no INS at all) would not ensure.
    """
    if value is None:
        return None
    cleaned = "".join(value.split()).upper()
    if not cleaned:
        return None
    if not _NIR_SHAPE.fullmatch(cleaned) or not nir.is_valid(cleaned):
        notes.append(f"L'INS indiqué dans le document ({cleaned[:40]}) n'est pas un NIR valide.")
    return cleaned[:40]
