"""What a form's error summary (``templates/_form_errors.html``) links to."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class FieldInError:
    """A visible field carrying errors: its label and the id of the element to focus."""

    label: str
    anchor: str


def _anchor(field: forms.BoundField) -> str:
    id_ = field.field.widget.attrs.get("id") or field.auto_id
    if not id_:
        return ""
    # A radio or checkbox group, or a multi-widget, has no element bearing the
    # field's own id (its id_for_label is empty): link to its first input.
    return field.id_for_label or f"{id_}_0"


@register.filter
def fields_in_error(form: forms.BaseForm) -> list[FieldInError]:
    """The visible fields of ``form`` with errors, in form order, each with the id to link to.

    Hidden fields are left out: nothing on the page can take the focus for them.
    """
    return [
        FieldInError(label=str(field.label or field.name), anchor=_anchor(field))
        for field in form.visible_fields()
        if field.errors
    ]
