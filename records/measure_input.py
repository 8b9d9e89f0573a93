"""What people type for a measure, read as they mean it.

"85,4", "85.4 kg", "37,8 °C" are one value in the measure's unit. A blood
pressure is two: "130/80" in mmHg, or "13/8" as French patients say it (in
centimetres of mercury, read as 130/80). The plausible ranges themselves are
checked by the model (``Measure.clean_section``); this module only turns text
into numbers, and says in words what it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from records.models import MEASURE_SPECS, MeasureKind
from records.models.entries import format_decimal

# Both numbers of a "13/8" reading at or under this are in cmHg: no real
# systolic pressure is 30 mmHg, and no diastolic one is 3.
CMHG_CEILING = Decimal(30)

# A typical value per kind, for the messages and the form's hints.
EXAMPLES: dict[str, str] = {
    MeasureKind.WEIGHT: "72,5",
    MeasureKind.HEIGHT: "172",
    MeasureKind.HEART_RATE: "68",
    MeasureKind.BLOOD_PRESSURE: "130/80",
    MeasureKind.BLOOD_GLUCOSE: "0,95",
    MeasureKind.TEMPERATURE: "37,2",
    MeasureKind.SPO2: "97",
    MeasureKind.HEAD_CIRCUMFERENCE: "35",
    MeasureKind.WAIST: "85",
}

# "130/8": a systolic in mmHg and a diastolic in cmHg.
MIXED_UNITS_BELOW = Decimal(20)

_NUMBER = r"\d+(?:[.,]\d+)?"
_PRESSURE = re.compile(rf"^({_NUMBER})\s*/\s*({_NUMBER})$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass(frozen=True)
class Reading:
    value: Decimal
    value2: Decimal | None = None
    # The text as it was understood, when that differs from what was typed
    # ("13/8" → "130/80 mmHg"), to tell the person.
    understood_as: str = ""


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit digits only
        raise ValidationError(_("Indiquez un nombre, par exemple 85,4.")) from exc


def _without_unit(text: str, unit: str) -> str:
    text = _SPACES.sub(" ", text.strip())
    # "37,8 °C", "37,8°C", "37,8 C" and "37,8°" are all degrees.
    suffixes = {unit, unit.replace("°", ""), "°" if "°" in unit else unit}
    for suffix in sorted(suffixes, key=len, reverse=True):
        if suffix and text.lower().endswith(suffix.lower()):
            return text[: -len(suffix)].strip()
    return text


def read_measure(text: str, kind: str) -> Reading:
    """The value (and diastolic value) ``text`` gives for a measure of ``kind``.

    Raises ``ValidationError`` with a French message when the text is not a
    number in the expected form.
    """
    spec = MEASURE_SPECS.get(kind)
    if spec is None:
        raise ValidationError(_("Choisissez d’abord le type de mesure."))
    raw = _without_unit(text, spec.unit)
    pressure = _PRESSURE.match(raw)
    if kind == MeasureKind.BLOOD_PRESSURE and pressure:
        high, low = _number(pressure.group(1)), _number(pressure.group(2))
        return pressure_reading(high, low, typed=text.strip())
    if pressure:
        raise ValidationError(
            _(
                "Une seule valeur est attendue pour cette mesure : l’écriture « 13/8 » "
                "est réservée à la tension artérielle."
            )
        )
    if re.fullmatch(_NUMBER, raw):
        return Reading(_number(raw))
    if kind == MeasureKind.BLOOD_PRESSURE:
        raise ValidationError(
            _(
                "Écrivez la tension avec ses deux chiffres séparés par une barre oblique, "
                "par exemple 130/80 ou 13/8."
            )
        )
    raise ValidationError(
        _("Indiquez un nombre en %(unit)s, par exemple %(example)s.")
        % {"unit": spec.unit, "example": EXAMPLES.get(kind, "1")}
    )


def pressure_reading(high: Decimal, low: Decimal, *, typed: str = "") -> Reading:
    """A systolic and diastolic pair, read in cmHg when both are small ("13" and "8")."""
    if high <= CMHG_CEILING and low <= CMHG_CEILING:
        high, low = high * 10, low * 10
        shown = f"{format_decimal(high, 0)}/{format_decimal(low, 0)} mmHg"
        return Reading(high, low, understood_as=shown if typed else "")
    if high <= CMHG_CEILING or low < MIXED_UNITS_BELOW:
        raise ValidationError(
            _(
                "Les deux chiffres de la tension s’écrivent dans la même unité : "
                "13/8 (en centimètres de mercure) ou 130/80 (en millimètres)."
            )
        )
    return Reading(high, low)
