"""The registry of record sections: URL slug, labels, form and list columns.

Views and templates are generic over this registry, so adding a section is
one model, one form and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from records import forms
from records.models import SECTION_MODELS, Entry


@dataclass(frozen=True)
class Section:
    key: str
    slug: str
    title: Promise
    add_label: Promise
    icon: str
    form: type[forms.EntryForm]
    # (attribute, column label) shown in the list; attributes may be methods' names.
    columns: tuple[tuple[str, Promise], ...]
    empty_text: Promise

    @property
    def model(self) -> type[Entry]:
        return SECTION_MODELS[self.key]


SECTIONS: tuple[Section, ...] = (
    Section(
        "condition",
        "maladies",
        _("Maladies et sujets de santé"),
        _("Ajouter une maladie"),
        "fr-icon-heart-pulse-line",
        forms.ConditionForm,
        (
            ("label", _("Maladie")),
            ("icd10_code", _("CIM-10")),
            ("get_status_display", _("Statut")),
            ("start_date", _("Début")),
            ("end_date", _("Fin")),
        ),
        _("Aucune maladie ou sujet de santé enregistré."),
    ),
    Section(
        "treatment",
        "traitements",
        _("Traitements"),
        _("Ajouter un traitement"),
        "fr-icon-capsule-line",
        forms.TreatmentForm,
        (
            ("medicine", _("Médicament")),
            ("dose", _("Dose")),
            ("frequency", _("Fréquence")),
            ("start_date", _("Début")),
            ("end_date", _("Fin")),
            ("prescriber", _("Prescripteur")),
        ),
        _("Aucun traitement enregistré."),
    ),
    Section(
        "hospitalisation",
        "hospitalisations",
        _("Hospitalisations"),
        _("Ajouter une hospitalisation"),
        "fr-icon-hospital-line",
        forms.HospitalisationForm,
        (
            ("reason", _("Motif")),
            ("place", _("Établissement")),
            ("admission_date", _("Entrée")),
            ("discharge_date", _("Sortie")),
        ),
        _("Aucune hospitalisation enregistrée."),
    ),
    Section(
        "handicap",
        "handicaps",
        _("Handicaps"),
        _("Ajouter un handicap"),
        "fr-icon-wheelchair-line",
        forms.HandicapForm,
        (
            ("label", _("Description")),
            ("get_kind_display", _("Type")),
            ("since", _("Depuis")),
            ("recognition", _("Reconnaissance")),
        ),
        _("Aucun handicap enregistré."),
    ),
    Section(
        "allergy",
        "allergies",
        _("Allergies et intolérances"),
        _("Ajouter une allergie"),
        "fr-icon-alert-line",
        forms.AllergyForm,
        (
            ("substance", _("Substance")),
            ("get_kind_display", _("Type")),
            ("reaction", _("Réaction")),
            ("get_severity_display", _("Gravité")),
            ("since", _("Depuis")),
        ),
        _("Aucune allergie ou intolérance enregistrée."),
    ),
    Section(
        "family",
        "antecedents-familiaux",
        _("Antécédents familiaux"),
        _("Ajouter un antécédent familial"),
        "fr-icon-team-line",
        forms.FamilyHistoryForm,
        (
            ("condition", _("Maladie")),
            ("get_relative_display", _("Membre de la famille")),
            ("age_at_onset", _("Âge au début")),
        ),
        _("Aucun antécédent familial enregistré."),
    ),
    Section(
        "habit",
        "habitudes",
        _("Habitudes de vie"),
        _("Ajouter une habitude"),
        "fr-icon-run-line",
        forms.HabitForm,
        (
            ("get_kind_display", _("Habitude")),
            ("description", _("Description")),
            ("event_summary", _("Quantité")),
            ("since", _("Depuis")),
            ("until", _("Jusqu’au")),
        ),
        _("Aucune habitude de vie enregistrée."),
    ),
    Section(
        "vaccination",
        "vaccinations",
        _("Vaccinations"),
        _("Ajouter une vaccination"),
        "fr-icon-syringe-line",
        forms.VaccinationForm,
        (
            ("vaccine", _("Vaccin")),
            ("target_disease", _("Maladie ciblée")),
            ("dose", _("Dose")),
            ("date", _("Date")),
            ("batch_number", _("Lot")),
            ("vaccinator", _("Vaccinateur")),
        ),
        _("Aucune vaccination enregistrée."),
    ),
    Section(
        "measure",
        "mesures",
        _("Mesures de santé"),
        _("Ajouter une mesure"),
        "fr-icon-line-chart-line",
        forms.MeasureForm,
        (
            ("get_kind_display", _("Mesure")),
            ("display_value", _("Valeur")),
            ("measured_at", _("Date")),
        ),
        _("Aucune mesure enregistrée."),
    ),
)

SECTIONS_BY_SLUG: dict[str, Section] = {s.slug: s for s in SECTIONS}
SECTIONS_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}
