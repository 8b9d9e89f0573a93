"""Project form base: DSFR rendering, optional fields marked (the DSFR's current advice)."""

from __future__ import annotations

from typing import Any

from django import forms
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
