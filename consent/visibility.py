"""Default profession × item-kind matrix.

The ``consent.ProfessionVisibility`` rows are the admin-editable truth; a
profession or kind without a row falls back to these defaults, so a fresh
database (or a row deleted by mistake) never hides everything or shows
everything by accident. Migration 0003 seeds the rows from a copy of this
table.
"""

from __future__ import annotations

from records.models import ItemKind

ALL_KINDS: frozenset[str] = frozenset(ItemKind.values)

DEFAULT_MATRIX: dict[str, frozenset[str]] = {
    "generaliste": ALL_KINDS,
    "specialiste": ALL_KINDS,
    "urgentiste": ALL_KINDS,
    "sage_femme": ALL_KINDS,
    "pharmacien": frozenset({"treatment", "allergy", "vaccination", "measure"}),
    "infirmier": frozenset(
        {"condition", "treatment", "hospitalisation", "handicap", "allergy", "habit"}
        | {"vaccination", "measure"}
    ),
    "kinesitherapeute": frozenset(
        {"condition", "treatment", "hospitalisation", "handicap", "allergy", "habit", "measure"}
    ),
    "chirurgien_dentiste": frozenset(
        {"condition", "treatment", "hospitalisation", "allergy", "measure"}
    ),
    "orthophoniste": frozenset({"condition", "treatment", "handicap", "allergy"}),
    "pedicure_podologue": frozenset({"condition", "treatment", "allergy", "measure"}),
    "psychologue": frozenset(
        {"condition", "mental_health", "treatment", "handicap", "family", "habit"}
    ),
    "dieteticien": frozenset({"condition", "treatment", "allergy", "habit", "measure"}),
}
