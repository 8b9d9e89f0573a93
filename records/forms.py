"""Section forms. Field rules live on the models (``clean``); forms add widgets and labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from messpace.forms import MesspaceForm
from records.measure_input import CMHG_CEILING, EXAMPLES, pressure_reading, read_measure
from records.models import (
    MEASURE_SPECS,
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
    format_decimal,
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


class MeasureKindSelect(forms.Select):
    """The kind of measure, each option carrying its unit and range for the page's script."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        spec = MEASURE_SPECS.get(str(value))
        if spec is not None:
            option["attrs"]["data-unit"] = spec.unit
            option["attrs"]["data-hint"] = measure_hint(str(value))
        return option


def measure_hint(kind: str) -> str:
    """ "En kg, entre 0,3 et 400 ; par exemple 72,5." for one kind of measure."""
    spec = MEASURE_SPECS[kind]
    if kind == MeasureKind.BLOOD_PRESSURE:
        return str(
            _(
                "Le chiffre du haut puis celui du bas, par exemple 130/80 (en mmHg) ou 13/8 : "
                "systolique entre %(low)s et %(high)s, diastolique entre %(low2)s et %(high2)s."
            )
            % {
                "low": format_decimal(spec.low, 0),
                "high": format_decimal(spec.high, 0),
                "low2": format_decimal(spec.low2 or spec.low, 0),
                "high2": format_decimal(spec.high2 or spec.high, 0),
            }
        )
    return str(
        _("En %(unit)s, entre %(low)s et %(high)s ; par exemple %(example)s.")
        % {
            "unit": spec.unit,
            "low": _plain(spec.low),
            "high": _plain(spec.high),
            "example": EXAMPLES[kind],
        }
    )


def _plain(number: Decimal) -> str:
    return number_format(number.normalize())


def _every_kinds_hint() -> str:
    """The unit and range of every kind, for the value's help (in the active language)."""
    return " ".join(
        f"{label} : {measure_hint(kind)}"
        for kind, label in MeasureKind.choices
        if kind in MEASURE_SPECS
    )


class MeasureForm(EntryForm):
    """One value with its unit; a blood pressure as "130/80", "13/8", or in two fields.

    Without JavaScript every kind's unit and range is listed under the value;
    the page's script (``static/messpace/measure-form.js``) keeps only the
    chosen kind's and shows the diastolic field for a blood pressure only.
    """

    value = forms.CharField(
        label=_("Valeur"),
        max_length=20,
        help_text=lazy(_every_kinds_hint, str)(),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-measure-value": ""}
        ),
    )

    class Meta:
        model = Measure
        fields = ["kind", "value", "value2", "measured_at", "notes"]
        labels = {"value2": _("Tension diastolique (chiffre du bas)")}
        help_texts = {
            "value2": _(
                "Seulement pour la tension artérielle, si vous n’avez pas écrit les deux "
                "chiffres dans la valeur."
            ),
        }
        widgets = {"kind": MeasureKindSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.understood_as = ""
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault(
                "measured_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        if self.instance.pk and not self.is_bound:
            spec = MEASURE_SPECS[self.instance.kind]
            self.initial["value"] = format_decimal(self.instance.value, spec.decimals)
        self.fields["value2"].localize = True
        self.fields["value2"].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, text = data.get("kind"), data.get("value")
        if not kind or text is None or isinstance(text, Decimal):
            return data
        try:
            reading = read_measure(str(text), kind)
            second = data.get("value2")
            if reading.value2 is None and second is not None and kind == MeasureKind.BLOOD_PRESSURE:
                reading = pressure_reading(reading.value, second, typed=f"{text}/{second}")
        except ValidationError as exc:
            data.pop("value", None)
            self.add_error("value", exc)
            return data
        typed2 = data.get("value2")
        if (
            reading.value2 is not None
            and typed2 is not None
            and reading.value2 not in (typed2, _cmhg(typed2))
        ):
            self.add_error(
                "value2",
                _(
                    "La tension diastolique est indiquée deux fois, avec deux chiffres "
                    "différents : gardez-en un seul."
                ),
            )
            data.pop("value", None)
            return data
        data["value"] = reading.value
        if reading.value2 is not None:
            data["value2"] = reading.value2
        self.understood_as = reading.understood_as
        # The model's own checks run on the instance after this (ranges, order).
        return data


def _cmhg(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= CMHG_CEILING:
        return value * 10
    return value


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
