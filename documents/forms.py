"""Forms of the documents pages: deposit, new version, list filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from documents.ingestion.types import DocumentType
from messpace.forms import MesspaceForm
from records.forms import DateInput

# Types a patient files for themself; professionals choose from the whole list.
ACCEPTED_FILES = ".pdf,.xml,.json,.jpg,.jpeg,.png,.dcm"


class DepositForm(MesspaceForm):
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "PDF, image JPEG ou PNG, document CDA (XML), FHIR (JSON) ou DICOM ; 20 Mo au plus."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
        error_messages={
            "required": _("Choisissez un fichier."),
            "empty": _("Le fichier est vide."),
        },
    )
    doc_type = forms.ChoiceField(label=_("Type de document"), choices=DocumentType.choices)
    title = forms.CharField(label=_("Titre"), max_length=200)
    act_date = forms.DateField(
        label=_("Date de l’acte"),
        help_text=_("Date de la consultation, de l’examen ou de l’hospitalisation."),
        widget=DateInput(),
    )
    author_label = forms.CharField(
        label=_("Auteur"),
        required=False,
        max_length=200,
        help_text=_("Professionnel ou établissement à l’origine du document."),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        if too_large:
            # The upload handler dropped the file: say why rather than "choose a file".
            self.fields["file"].required = False
        self.fields["act_date"].initial = dt.date.today

    def clean_file(self) -> Any:
        if self.too_large:
            mb = settings.MESSPACE_DOCUMENT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                _("Le fichier dépasse la taille maximale de %(mb)d Mo.") % {"mb": mb}
            )
        return self.cleaned_data.get("file")


class NewVersionForm(DepositForm):
    """A new version: same fields, the type and title prefilled from the current one."""


class DocumentFilterForm(MesspaceForm):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)
    doc_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous les types")), *DocumentType.choices]
    )
    author = forms.CharField(label=_("Auteur"), required=False, max_length=100)
    date_from = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Au"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("La date de fin doit être postérieure ou égale à la date de début.")
            )
        return data


class VisibilityForm(forms.Form):
    hidden = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
