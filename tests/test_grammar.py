"""French grammar for names: elision and agreement, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from messpace import grammar


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Emma DURAND", "d’Emma DURAND"),
        ("Élodie MARTIN", "d’Élodie MARTIN"),
        ("Hélène PETIT", "d’Hélène PETIT"),
        ("Yves ROUX", "d’Yves ROUX"),
        ("Paul MOREAU", "de Paul MOREAU"),
        ("Zoé LEROY", "de Zoé LEROY"),
    ],
)
def test_de_elides_before_a_vowel_or_h(name: str, expected: str) -> None:
    with translation.override("fr"):
        assert grammar.of_name(name) == expected


def test_english_drops_the_preposition() -> None:
    with translation.override("en"):
        assert grammar.of_name("Emma DURAND") == "Emma DURAND"
        assert grammar.born("F") == "born"


@pytest.mark.parametrize(("sex", "word"), [("F", "née"), ("M", "né"), ("", "né(e)")])
def test_born_agrees_with_the_known_sex(sex: str, word: str) -> None:
    with translation.override("fr"):
        assert grammar.born(sex) == word


@pytest.mark.parametrize(("age", "text"), [(0, "moins d’un an"), (1, "1 an"), (35, "35 ans")])
def test_years_old(age: int, text: str) -> None:
    with translation.override("fr"):
        assert grammar.years_old(age) == text


def test_the_record_header_speaks_of_emma_as_a_woman() -> None:
    """The one sentence that used both: « Dossier d’Emma DURAND, née le … »."""
    template = Template(
        "{% load i18n grammar %}{% blocktranslate with of_name=name|of_name born=sex|born "
        'birth=birth|date:"d/m/Y" age=age|years_old %}Dossier {{ of_name }}, {{ born }} le '
        "{{ birth }} ({{ age }}){% endblocktranslate %}"
    )
    context = Context({"name": "Emma DURAND", "sex": "F", "birth": dt.date(2015, 3, 4), "age": 11})

    with translation.override("fr"):
        text = template.render(context)

    assert text == "Dossier d’Emma DURAND, née le 04/03/2015 (11 ans)"
