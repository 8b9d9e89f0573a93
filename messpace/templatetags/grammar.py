"""Template filters over :mod:`messpace.grammar`: ``{{ name|of_name }}``, ``{{ sex|born }}``."""

from __future__ import annotations

from django import template

from messpace import grammar

register = template.Library()


@register.filter
def of_name(name: object) -> str:
    return grammar.of_name(str(name))


@register.filter
def born(sex: object) -> str:
    return grammar.born(str(sex))


@register.filter
def years_old(age: int) -> str:
    return grammar.years_old(int(age))
