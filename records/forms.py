"""Section forms. Field rules live on the models (``clean``); forms add widgets and labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messpace.forms import MesspaceForm
from records.models import (
    Allergy,
    Condition,
    EventKind,
    FamilyHistory,
    Habit,
    Handicap,
    Hospitalisation,
    Measure,
    MeasureKind,
    Patient,
    Treatment,
    Vaccination,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class EntryForm(MesspaceForm, forms.ModelForm):
    """Base of every section form: DSFR rendering, dates as native pickers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.widget = DateTimeInput()
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
            elif isinstance(field, forms.DateField):
                field.widget = DateInput()
                field.input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3


class ConditionForm(EntryForm):
    class Meta:
        model = Condition
        fields = ["label", "icd10_code", "status", "start_date", "end_date", "notes"]
        help_texts = {"icd10_code": _("Facultatif, par exemple E11.9 pour un diabète de type 2.")}


class TreatmentForm(EntryForm):
    class Meta:
        model = Treatment
        fields = ["medicine", "dose", "frequency", "start_date", "end_date", "prescriber", "notes"]
        help_texts = {
            "dose": _("Par exemple : 1 comprimé de 500 mg."),
            "frequency": _("Par exemple : matin et soir."),
        }


class HospitalisationForm(EntryForm):
    class Meta:
        model = Hospitalisation
        fields = ["reason", "place", "admission_date", "discharge_date", "notes"]


class HandicapForm(EntryForm):
    class Meta:
        model = Handicap
        fields = ["kind", "label", "since", "recognition", "notes"]


class AllergyForm(EntryForm):
    class Meta:
        model = Allergy
        fields = ["kind", "substance", "reaction", "severity", "since"]
        help_texts = {"substance": _("Médicament, aliment ou autre substance (ex. pénicilline).")}


class FamilyHistoryForm(EntryForm):
    class Meta:
        model = FamilyHistory
        fields = ["relative", "condition", "age_at_onset", "notes"]


class HabitForm(EntryForm):
    class Meta:
        model = Habit
        fields = ["kind", "description", "quantity", "since", "until"]
        help_texts = {
            "quantity": _(
                "Facultatif : cigarettes par jour, verres par semaine, minutes d’activité par semaine ou heures de sommeil par nuit."
            )
        }


class VaccinationForm(EntryForm):
    class Meta:
        model = Vaccination
        fields = ["vaccine", "target_disease", "dose", "date", "batch_number", "vaccinator"]


class MeasureForm(EntryForm):
    class Meta:
        model = Measure
        fields = ["kind", "value", "value2", "measured_at", "notes"]
        labels = {"value": _("Valeur"), "value2": _("Tension diastolique (chiffre du bas)")}
        help_texts = {
            "value": _(
                "Poids en kg, taille en cm, fréquence cardiaque en battements par minute, tension systolique en mmHg, glycémie en g/L, température en °C, saturation en %."
            ),
            "value2": _("Seulement pour la tension artérielle."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault(
                "measured_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        self.fields["value"].localize = True
        self.fields["value"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["value2"].localize = True
        self.fields["value2"].widget = forms.TextInput(attrs={"inputmode": "decimal"})


class TimelineFilterForm(MesspaceForm):
    kind = forms.MultipleChoiceField(
        label=_("Type d’événement"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Au"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("date_from")
        end: dt.date | None = data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("La date de fin doit être postérieure ou égale à la date de début.")
            )
        return data


MEASURE_KIND_CHOICES = MeasureKind.choices


class PatientContactForm(MesspaceForm, forms.ModelForm):
    """Contact details the patient keeps up to date; identity stays read-only."""

    class Meta:
        model = Patient
        fields = ["address_line1", "address_line2", "postcode", "city", "email", "phone"]
        help_texts = {
            "phone": _("Numéro français (06 12 34 56 78) ou international (+32 …)."),
            "email": _("Nous y envoyons les avis sans aucune information de santé."),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }
