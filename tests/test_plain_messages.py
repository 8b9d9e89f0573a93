"""Forms speak plainly: no refusal ever shows a constraint's or a field's identifier.

Every database constraint of the project has a French message of its own
(Django's default names the constraint: « La contrainte
« measure_value2_only_for_blood_pressure » n'est pas respectée »), and every
section form, posted with bad values field by field, answers only in words.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db.models import BaseConstraint
from django.test import Client
from django.urls import reverse

from records.sections import SECTIONS
from tests.records.sample import FORM_DATA

ROOT = Path(__file__).resolve().parent.parent
# Every app whose code is in this repository (not the installed packages').
PROJECT_APPS = {
    config.label for config in apps.get_app_configs() if Path(config.path).is_relative_to(ROOT)
}
# An identifier: snake_case, or the word the default message uses.
IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b|contrainte", re.IGNORECASE)
BAD_VALUES = ("<b>x</b>", "abc", "-5", "2999-01-01", "1800-01-01", "", "9" * 30)


def _constraints() -> list[tuple[str, BaseConstraint]]:
    return [
        (model._meta.label, constraint)
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        for constraint in model._meta.constraints
    ]


def test_every_constraint_has_a_french_message_without_identifiers() -> None:
    plain = []
    for label, constraint in _constraints():
        message = str(constraint.violation_error_message)
        if message == str(constraint.default_violation_error_message):
            plain.append(f"{label}.{constraint.name}: default message")
        elif IDENTIFIER.search(message) or constraint.name in message:
            plain.append(f"{label}.{constraint.name}: {message}")
    assert not plain, "\n".join(plain)
    assert len(_constraints()) > 30  # the walk sees them (it is not blind)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
def test_bad_values_field_by_field_are_refused_in_words(alice_client: Client, section: Any) -> None:
    url = reverse("records:section_add", args=[section.slug])
    data = FORM_DATA[section.key]
    messages: list[str] = []
    for field in data:
        for bad in BAD_VALUES:
            response = alice_client.post(url, {**data, field: bad})
            if response.status_code != 200:
                continue  # accepted (a valid value for this field)
            form = response.context["form"]
            messages += [str(m) for errors in form.errors.values() for m in errors]
    assert messages  # the walk did refuse things
    leaked = sorted({m for m in messages if IDENTIFIER.search(m)})
    assert not leaked, leaked


def test_a_blood_pressure_without_its_second_value_says_so_in_words(
    alice_client: Client,
) -> None:
    """The case people met: a systolic out of range and no diastolic."""
    data = {**FORM_DATA["measure"], "kind": "blood_pressure", "value": "900", "value2": ""}

    response = alice_client.post(reverse("records:section_add", args=["mesures"]), data)

    errors = [str(m) for e in response.context["form"].errors.values() for m in e]
    assert errors and not [m for m in errors if IDENTIFIER.search(m)], errors
    assert any("diastolique" in m for m in errors)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("7KQ4-M2XD-9PLA", "vérifiez : L.", id="a-letter-never-used"),
        pytest.param("OKQ4M2XD9PRA", "vérifiez : O.", id="o-for-zero"),
        pytest.param("7KQ4-M2XD", "saisi 8)", id="too-short-says-how-many"),
    ],
)
def test_an_opt_out_code_typed_wrong_is_explained(typed: str, expected: str) -> None:
    """The characters 0, O, 1, I and L never appear in a code; the letter says which."""
    from consent.optout.forms import NoticeAnswerForm

    form = NoticeAnswerForm(data={"code": typed})

    assert not form.is_valid()
    (message,) = form.errors["code"]
    assert expected in message
    assert not IDENTIFIER.search(message)


def test_the_opt_out_codes_shown_as_examples_are_codes_the_portal_could_issue() -> None:
    """Every code written as an example, on the pages and in the messages, uses the
    alphabet of the codes (it once held an L)."""
    from consent.optout.forms import CODE_RE

    root = ROOT
    example = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
    found = {
        code
        for folder in ("consent", "templates", "locale")
        for path in (root / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt", ".po"}
        for code in example.findall(path.read_text(encoding="utf-8"))
    }
    assert found, "no example code found"
    wrong = sorted(code for code in found if not CODE_RE.fullmatch(code.replace("-", "")))
    assert not wrong, wrong
