"""Template helpers for record pages shared by patients and professionals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats, timezone

from consent.policy import RecordAccess

register = template.Library()


def record_reverse(access: RecordAccess, name: str, *args: Any) -> str:
    """URL of a record page in the actor's own space (patient or guardian, carer or
    professional)."""
    if access.acts_as_patient:
        return reverse(f"records:{name}", args=args)
    if access.role == "carer":
        return reverse(f"carer:{name}", args=(access.patient.pk, *args))
    return reverse(f"pro:{name}", args=(access.patient.pk, *args))


@register.simple_tag(takes_context=True)
def record_url(context: template.Context, name: str, *args: Any) -> str:
    return record_reverse(context["access"], name, *args)


@register.simple_tag(takes_context=True)
def document_url(context: template.Context, name: str, *args: Any) -> str:
    from documents.routing import document_reverse

    return document_reverse(context["access"], name, *args)


@register.filter
def cell(entry: Any, attr: str) -> str:
    """Display value of a list column: calls methods, formats dates, blanks None."""
    value = getattr(entry, attr, "")
    if callable(value):
        value = value()
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


@register.filter
def may_modify(access: RecordAccess, entry: Any) -> bool:
    return access.may_modify(entry)
