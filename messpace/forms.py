"""Project form base: DSFR rendering, optional fields marked (the DSFR's current advice)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm


class MesspaceForm(DsfrBaseForm):
    """DSFR form that marks optional fields rather than required ones.

    django-dsfr reads a transitional setting and warns either way; we decide
    here, once, and skip its warning.
    """

    def get_context(self) -> dict[str, Any]:
        context = forms.BaseForm.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's refusal on the form: each message on its field when the
    form has that field, on the form as a whole otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
