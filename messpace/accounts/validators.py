"""Validators for French identifiers, shared by models and forms."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir


def normalize_nir(value: str) -> str:
    """Strip spaces, dots and dashes; upper-case the Corsican department letters."""
    # stdnum's compact() only strips spaces and dots.
    return stdnum_nir.compact((value or "").replace("-", "")).upper()


def validate_nir(value: str) -> None:
    """A NIR/INS is 13 characters plus a 2-digit key (97 - number mod 97)."""
    compact = normalize_nir(value)
    if len(compact) != 15:
        raise ValidationError(
            _("Le numéro de sécurité sociale (INS) doit comporter 15 caractères, clé comprise."),
            code="nir_length",
        )
    try:
        stdnum_nir.validate(compact)
    except StdnumError as exc:
        raise ValidationError(
            _(
                "Ce numéro de sécurité sociale (INS) n’est pas valide : vérifiez les chiffres et la clé."
            ),
            code="nir_invalid",
        ) from exc


def validate_rpps(value: str) -> None:
    """An RPPS number is 11 digits whose last digit is a Luhn check digit."""
    compact = (value or "").replace(" ", "")
    if len(compact) != 11 or not compact.isdigit():
        raise ValidationError(
            _("Le numéro RPPS doit comporter exactement 11 chiffres."), code="rpps_length"
        )
    if not luhn.is_valid(compact):
        raise ValidationError(
            _("Ce numéro RPPS n’est pas valide : sa clé de contrôle ne correspond pas."),
            code="rpps_invalid",
        )


def normalize_phone(value: str) -> str:
    """Return the phone number in E.164 form, reading national numbers as French."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Ce numéro de téléphone n’est pas reconnu."), code="phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("Ce numéro de téléphone n’est pas valide."), code="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def format_phone(value: str) -> str:
    """Human display of a stored E.164 number (national format for France)."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)
