"""French identifiers: NIR/INS, RPPS and phone numbers."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from messpace.accounts.validators import (
    format_phone,
    normalize_nir,
    normalize_phone,
    validate_nir,
    validate_phone,
    validate_rpps,
)
from tests.factories import make_rpps


def error_of(validator: object, value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)  # type: ignore[operator]
    return caught.value


# --- NIR / INS ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "279035121518989",
        "2 79 03 51 215 189 89",
        "2-79-03-51-215-189-89",
        "185022A00100126",  # Corsica: 2A counts as 19 in the key
        "185022a00100126",
    ],
)
def test_valid_nir_is_accepted(value: str) -> None:
    validate_nir(value)


def test_nir_is_normalized_to_its_compact_upper_case_form() -> None:
    assert normalize_nir("1 85 02 2a 001 001 26") == "185022A00100126"


def test_nir_with_a_wrong_key_is_refused_in_french() -> None:
    error = error_of(validate_nir, "279035121518988")

    assert error.code == "nir_invalid"
    assert error.messages == [
        "Ce numéro de sécurité sociale (INS) n’est pas valide : vérifiez les chiffres et la clé."
    ]


@pytest.mark.parametrize("value", ["27903512151898", "2790351215189890", ""])
def test_nir_of_the_wrong_length_is_refused_in_french(value: str) -> None:
    error = error_of(validate_nir, value)

    assert error.code == "nir_length"
    assert "15 caractères" in error.messages[0]


@pytest.mark.parametrize("value", ["379035121518989", "2790351215189AB", "279135121518989"])
def test_nir_that_is_not_a_nir_is_refused(value: str) -> None:
    assert error_of(validate_nir, value).code == "nir_invalid"


# --- RPPS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_generated_rpps_is_accepted(seed: int) -> None:
    validate_rpps(make_rpps(random.Random(seed)))


@pytest.mark.parametrize("seed", range(5))
def test_rpps_with_its_last_digit_changed_is_refused_in_french(seed: int) -> None:
    rpps = make_rpps(random.Random(seed))
    tampered = rpps[:-1] + str((int(rpps[-1]) + 1) % 10)

    error = error_of(validate_rpps, tampered)

    assert error.code == "rpps_invalid"
    assert error.messages == [
        "Ce numéro RPPS n’est pas valide : sa clé de contrôle ne correspond pas."
    ]


@pytest.mark.parametrize("value", ["1000000000", "100000000000", "1000000000A", "", "10-000000-0"])
def test_rpps_that_is_not_eleven_digits_is_refused_in_french(value: str) -> None:
    error = error_of(validate_rpps, value)

    assert error.code == "rpps_length"
    assert error.messages == ["Le numéro RPPS doit comporter exactement 11 chiffres."]


# --- Phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 1 23 45 67 89", "+33123456789"),
        ("+32 2 555 12 12", "+3225551212"),
        ("", ""),
    ],
)
def test_valid_phone_is_accepted_and_stored_in_international_form(value: str, e164: str) -> None:
    validate_phone(value)
    assert normalize_phone(value) == e164


def test_unreadable_phone_is_refused_in_french() -> None:
    error = error_of(validate_phone, "abc")

    assert error.messages == ["Ce numéro de téléphone n’est pas reconnu."]


@pytest.mark.parametrize("value", ["01 23", "0612345678901"])
def test_impossible_phone_is_refused_in_french(value: str) -> None:
    error = error_of(validate_phone, value)

    assert error.messages == ["Ce numéro de téléphone n’est pas valide."]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("+33612345678", "06 12 34 56 78"), ("+3225551212", "+32 2 555 12 12"), ("", "")],
)
def test_phone_is_shown_in_national_form_for_france(stored: str, shown: str) -> None:
    assert format_phone(stored) == shown
