"""Forms of the professional side: finding a patient to declare care or to break the glass.

Both identify the patient by INS (NIR) and birth date; the views answer the
same message whether the patient is unknown or refused, so the forms only check
the shape of what was typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from messpace.accounts.validators import normalize_nir, validate_nir
from messpace.forms import MesspaceForm
from records.forms import DateInput

EMERGENCY_REASON_MIN = 10


class PatientIdentityForm(MesspaceForm, forms.Form):
    """The patient's INS, normalized (spaces, dots and dashes removed), and birth date."""

    nir = forms.CharField(
        label=_("INS du patient (numéro de sécurité sociale)"),
        help_text=_("15 caractères, clé comprise ; les espaces sont acceptés."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance du patient"),
        help_text=_("Format attendu : JJ/MM/AAAA"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def clean_nir(self) -> str:
        value: str = self.cleaned_data["nir"]
        validate_nir(value)
        return normalize_nir(value)


class CareRelationshipDeclareForm(PatientIdentityForm):
    consent = forms.BooleanField(
        label=_("Le patient a donné son accord pour que je consulte son dossier"),
        error_messages={
            "required": _("Confirmez que le patient a donné son accord pour continuer.")
        },
    )


class EmergencyAccessForm(PatientIdentityForm):
    reason = forms.CharField(
        label=_("Motif de l’accès en urgence"),
        help_text=_(
            "Décrivez la situation d’urgence (10 caractères au moins). "
            "Le motif est conservé dans l’historique des accès du patient."
        ),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme agir dans une situation d’urgence. Je sais que cet accès est tracé "
            "et que le patient en est informé."
        ),
        error_messages={"required": _("Confirmez la situation d’urgence pour continuer.")},
    )

    def clean_reason(self) -> str:
        value: str = self.cleaned_data["reason"].strip()
        if len(value) < EMERGENCY_REASON_MIN:
            raise forms.ValidationError(
                _("Décrivez le motif de l’urgence (10 caractères au moins)."), code="too_short"
            )
        return value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["minlength"] = EMERGENCY_REASON_MIN
