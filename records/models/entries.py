"""The record sections: what every entry shares (:class:`Entry`) and the nine sections.

Each section model shares :class:`Entry`: who the entry belongs to, who wrote
it and as what, when, and a soft-delete trace. Every write goes through
``records.services``, which also maintains the entry's denormalised
:class:`records.models.timeline.TimelineEvent` row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

# Opening angle bracket followed by something tag-like: "<b>", "</p>", "<!--", "<?php".
MARKUP_RE = re.compile(r"<\s*[a-zA-Z/!?]")
EARLIEST_DATE = dt.date(1900, 1, 1)
# ICD-10 code: chapter letter, two digits, optional subdivision ("E11", "J45.0", "S72.00").
ICD10_RE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


class AuthorKind(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PROFESSIONAL = "professional", _("Professionnel de santé")
    IMPORT = "import", _("Importation")
    CARER = "carer", _("Aidant")
    GUARDIAN = "guardian", _("Représentant légal")


class LiveEntryManager(models.Manager["Entry"]):
    def get_queryset(self) -> models.QuerySet[Entry]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Entry(models.Model):
    """What every section entry shares: owner, author, timestamps, soft delete."""

    patient = models.ForeignKey("records.Patient", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_kind = models.CharField(
        _("saisi par"), max_length=16, choices=AuthorKind.choices, default=AuthorKind.PATIENT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Hidden by the patient: still seen by its author and the designated GP.
    hidden_from_professionals = models.BooleanField(_("masqué aux professionnels"), default=False)
    # Confidential from the minor's legal guardians (and carers): set by a
    # professional, or by the minor aged 15 or more.
    confidential_from_guardians = models.BooleanField(
        _("confidentiel vis-à-vis des représentants légaux"), default=False
    )

    objects = models.Manager()
    live: ClassVar[LiveEntryManager] = LiveEntryManager()

    # Set by each section: the timeline kind and which field dates the event.
    section: ClassVar[str] = ""
    event_date_field: ClassVar[str] = ""
    # Date fields that describe the past and so cannot lie in the future.
    past_date_fields: ClassVar[tuple[str, ...]] = ()
    # Pairs (start, end) that must be ordered.
    date_ranges: ClassVar[tuple[tuple[str, str], ...]] = ()
    # What makes two entries the same one (text compared without case): adding
    # an entry equal to a visible one on all of these asks for confirmation.
    identity_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True
        default_manager_name = "objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def visibility_kind(self) -> str:
        """The item kind the profession matrix decides on (see ``consent.ProfessionVisibility``)."""
        return self.section

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Field rules shared by every section: no markup, text within limits.

        Runs here rather than in ``clean`` so that a field a form already
        rejected (it is then in ``exclude``) is not reported twice.
        """
        errors: dict[str, list[Any]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        skip = set(exclude or ()) | set(errors)
        for field in self._meta.concrete_fields:
            if field.name in skip:
                continue
            value = getattr(self, field.attname)
            if not isinstance(field, models.CharField | models.TextField) or not isinstance(
                value, str
            ):
                continue
            if MARKUP_RE.search(value):
                errors.setdefault(field.name, []).append(
                    _("Les balises HTML ou le code ne sont pas acceptés dans ce champ.")
                )
            # A CharField's own validator already checks its length; a TextField has none.
            elif (
                isinstance(field, models.TextField)
                and field.max_length
                and len(value) > field.max_length
            ):
                errors.setdefault(field.name, []).append(
                    _(
                        "Ce texte est trop long : %(max)d caractères au maximum (actuellement %(len)d)."
                    )
                    % {"max": field.max_length, "len": len(value)}
                )
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """Dates plausible and ordered, then the section's own rules (``clean_section``)."""
        errors: dict[str, list[Any]] = {}
        today = timezone.localdate()
        for name in self.past_date_fields:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                too_late = value > timezone.now() + dt.timedelta(minutes=5)
            else:
                too_late = value is not None and value > today
            if too_late:
                errors.setdefault(name, []).append(_("Cette date ne peut pas être dans le futur."))
            elif value is not None and _as_date(value) < EARLIEST_DATE:
                errors.setdefault(name, []).append(
                    _("Cette date est trop ancienne pour être plausible.")
                )
        for start, end in self.date_ranges:
            a, b = getattr(self, start), getattr(self, end)
            if a is not None and b is not None and b < a and end not in errors:
                errors.setdefault(end, []).append(
                    _("La date de fin doit être postérieure ou égale à la date de début.")
                )
        # The section's rules run even when a date is wrong, so every mistake shows at once.
        try:
            self.clean_section()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean_section(self) -> None:
        """Rules of one section; raise ``ValidationError`` with French messages per field."""

    def event_date(self) -> dt.date | dt.datetime | None:
        # Sections without a date of their own (family history) have no field to read.
        if not self.event_date_field:
            return None
        return getattr(self, self.event_date_field)

    def event_title(self) -> str:
        return str(self)

    def event_summary(self) -> str:
        return ""


class ConditionStatus(models.TextChoices):
    ACTIVE = "active", _("En cours")
    REMISSION = "remission", _("En rémission")
    RESOLVED = "resolved", _("Guérie")


class Condition(Entry):
    section = "condition"
    event_date_field = "start_date"
    identity_fields = ("label", "icd10_code", "start_date")
    past_date_fields = ("start_date", "end_date")
    date_ranges = (("start_date", "end_date"),)

    icd10_code = models.CharField(_("code CIM-10"), max_length=8, blank=True)
    label = models.CharField(_("maladie ou problème de santé"), max_length=200)
    start_date = models.DateField(_("date de début"), null=True, blank=True)
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=ConditionStatus.choices, default=ConditionStatus.ACTIVE
    )
    notes = models.TextField(_("remarques"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("maladie ou sujet de santé")
        verbose_name_plural = _("maladies et sujets de santé")
        indexes = [models.Index(fields=["patient", "deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                violation_error_message=_(
                    "La date de fin doit être postérieure ou égale à la date de début."
                ),
                name="condition_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.icd10_code})" if self.icd10_code else self.label

    def clean_section(self) -> None:
        # Normalised here so that every way in (form, service, import) stores "J45.0".
        self.icd10_code = (self.icd10_code or "").strip().upper()
        # Markup is already reported by clean_fields; one message per mistake is enough.
        if MARKUP_RE.search(self.icd10_code):
            return
        if self.icd10_code and not ICD10_RE.fullmatch(self.icd10_code):
            raise ValidationError(
                {
                    "icd10_code": _(
                        "Code CIM-10 non reconnu : une lettre, deux chiffres, puis éventuellement un point et une précision (ex. J45.0)."
                    )
                }
            )

    def event_summary(self) -> str:
        return str(self.get_status_display())

    @property
    def is_mental_health(self) -> bool:
        # ICD-10 chapter V (F00-F99): mental and behavioural disorders.
        return self.icd10_code.upper().startswith("F")

    @property
    def visibility_kind(self) -> str:
        return ItemKind.MENTAL_HEALTH if self.is_mental_health else self.section


class Treatment(Entry):
    section = "treatment"
    event_date_field = "start_date"
    identity_fields = ("medicine", "dose", "start_date")
    past_date_fields = ("start_date",)
    date_ranges = (("start_date", "end_date"),)

    medicine = models.CharField(_("médicament"), max_length=200)
    dose = models.CharField(_("dose"), max_length=100, blank=True)
    frequency = models.CharField(_("fréquence"), max_length=100, blank=True)
    start_date = models.DateField(_("date de début"), null=True, blank=True)
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    prescriber = models.CharField(_("prescripteur"), max_length=200, blank=True)
    notes = models.TextField(_("remarques"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("traitement")
        verbose_name_plural = _("traitements")
        indexes = [models.Index(fields=["patient", "deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                violation_error_message=_(
                    "La date de fin doit être postérieure ou égale à la date de début."
                ),
                name="treatment_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.medicine

    def event_summary(self) -> str:
        return " · ".join(part for part in (self.dose, self.frequency) if part)

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()


class Hospitalisation(Entry):
    section = "hospitalisation"
    event_date_field = "admission_date"
    identity_fields = ("reason", "place", "admission_date")
    past_date_fields = ("admission_date", "discharge_date")
    date_ranges = (("admission_date", "discharge_date"),)

    place = models.CharField(_("établissement"), max_length=200)
    admission_date = models.DateField(_("date d’entrée"))
    discharge_date = models.DateField(_("date de sortie"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=255)
    notes = models.TextField(_("remarques"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("hospitalisation")
        verbose_name_plural = _("hospitalisations")
        indexes = [models.Index(fields=["patient", "deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharge_date__isnull=True)
                | Q(discharge_date__gte=models.F("admission_date")),
                violation_error_message=_(
                    "La date de sortie doit être postérieure ou égale à la date d’entrée."
                ),
                name="hospitalisation_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} — {self.place}"


class HandicapKind(models.TextChoices):
    MOTOR = "moteur", _("Moteur")
    VISUAL = "visuel", _("Visuel")
    HEARING = "auditif", _("Auditif")
    MENTAL = "mental", _("Mental")
    PSYCHIC = "psychique", _("Psychique")
    COGNITIVE = "cognitif", _("Cognitif")
    MULTIPLE = "polyhandicap", _("Polyhandicap")
    DISABLING_ILLNESS = "maladie_invalidante", _("Maladie invalidante")


class Handicap(Entry):
    section = "handicap"
    event_date_field = "since"
    identity_fields = ("kind", "label", "since")
    past_date_fields = ("since",)

    kind = models.CharField(_("type de handicap"), max_length=32, choices=HandicapKind.choices)
    label = models.CharField(_("description"), max_length=200)
    since = models.DateField(_("depuis le"), null=True, blank=True)
    recognition = models.CharField(_("reconnaissance (MDPH, taux…)"), max_length=200, blank=True)
    notes = models.TextField(_("besoins et aménagements"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("handicap")
        verbose_name_plural = _("handicaps")
        indexes = [models.Index(fields=["patient", "deleted_at"])]

    def __str__(self) -> str:
        return self.label


class AllergyKind(models.TextChoices):
    ALLERGY = "allergy", _("Allergie")
    INTOLERANCE = "intolerance", _("Intolérance")


class Severity(models.TextChoices):
    MILD = "mild", _("Légère")
    MODERATE = "moderate", _("Modérée")
    SEVERE = "severe", _("Sévère")
    UNKNOWN = "unknown", _("Inconnue")


class Allergy(Entry):
    section = "allergy"
    event_date_field = "since"
    identity_fields = ("kind", "substance", "since")
    past_date_fields = ("since",)

    kind = models.CharField(
        _("type"), max_length=16, choices=AllergyKind.choices, default=AllergyKind.ALLERGY
    )
    substance = models.CharField(_("substance"), max_length=200)
    reaction = models.CharField(_("réaction"), max_length=255, blank=True)
    severity = models.CharField(
        _("gravité"), max_length=16, choices=Severity.choices, default=Severity.UNKNOWN
    )
    since = models.DateField(_("depuis le"), null=True, blank=True)

    class Meta:
        verbose_name = _("allergie ou intolérance")
        verbose_name_plural = _("allergies et intolérances")
        indexes = [models.Index(fields=["patient", "deleted_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.substance}"

    def event_summary(self) -> str:
        return " · ".join(p for p in (self.reaction, str(self.get_severity_display())) if p)


class Relative(models.TextChoices):
    MOTHER = "mother", _("Mère")
    FATHER = "father", _("Père")
    SISTER = "sister", _("Sœur")
    BROTHER = "brother", _("Frère")
    GRANDMOTHER = "grandmother", _("Grand-mère")
    GRANDFATHER = "grandfather", _("Grand-père")
    CHILD = "child", _("Enfant")
    AUNT = "aunt", _("Tante")
    UNCLE = "uncle", _("Oncle")
    OTHER = "other", _("Autre membre de la famille")


# Oldest plausible age, as the database constraint family_age_plausible also says.
MAX_AGE = 120


class FamilyHistory(Entry):
    section = "family"
    event_date_field = ""
    identity_fields = ("relative", "condition")

    relative = models.CharField(_("membre de la famille"), max_length=16, choices=Relative.choices)
    condition = models.CharField(_("maladie"), max_length=200)
    age_at_onset = models.PositiveSmallIntegerField(
        _("âge au début de la maladie"), null=True, blank=True
    )
    notes = models.TextField(_("remarques"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("antécédent familial")
        verbose_name_plural = _("antécédents familiaux")
        indexes = [models.Index(fields=["patient", "deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_at_onset__isnull=True) | Q(age_at_onset__lte=120),
                violation_error_message=_(
                    "Âge non plausible : il doit être compris entre 0 et 120 ans."
                ),
                name="family_age_plausible",
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition} ({self.get_relative_display()})"

    def clean_section(self) -> None:
        if self.age_at_onset is not None and self.age_at_onset > MAX_AGE:
            raise ValidationError(
                {
                    "age_at_onset": _(
                        "Âge non plausible : il doit être compris entre 0 et %(max)d ans."
                    )
                    % {"max": MAX_AGE}
                }
            )


class HabitKind(models.TextChoices):
    TOBACCO = "tobacco", _("Tabac")
    ALCOHOL = "alcohol", _("Alcool")
    ACTIVITY = "activity", _("Activité physique")
    DIET = "diet", _("Alimentation")
    SLEEP = "sleep", _("Sommeil")


# Unit of the optional quantity of each habit, and its plausible ceiling.
HABIT_UNITS: dict[str, tuple[str, Decimal]] = {
    HabitKind.TOBACCO: ("cigarettes/jour", Decimal(100)),
    HabitKind.ALCOHOL: ("verres/semaine", Decimal(200)),
    HabitKind.ACTIVITY: ("minutes/semaine", Decimal(5000)),
    HabitKind.DIET: ("", Decimal(0)),
    HabitKind.SLEEP: ("heures/nuit", Decimal(24)),
}


class Habit(Entry):
    section = "habit"
    event_date_field = "since"
    identity_fields = ("kind", "description", "since")
    past_date_fields = ("since", "until")
    date_ranges = (("since", "until"),)

    kind = models.CharField(_("habitude"), max_length=16, choices=HabitKind.choices)
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(
        _("quantité"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    since = models.DateField(_("depuis le"), null=True, blank=True)
    until = models.DateField(_("jusqu’au"), null=True, blank=True)

    class Meta:
        verbose_name = _("habitude de vie")
        verbose_name_plural = _("habitudes de vie")
        indexes = [models.Index(fields=["patient", "deleted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                violation_error_message=_("La quantité ne peut pas être négative."),
                name="habit_quantity_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.description}"

    @property
    def unit(self) -> str:
        return HABIT_UNITS[self.kind][0]

    def clean_section(self) -> None:
        if self.quantity is None or not self.kind:
            return
        unit, ceiling = HABIT_UNITS[self.kind]
        if not unit:
            raise ValidationError(
                {"quantity": _("Aucune quantité n’est attendue pour cette habitude.")}
            )
        if self.quantity < 0 or self.quantity > ceiling:
            raise ValidationError(
                {
                    "quantity": _("Quantité non plausible : entre 0 et %(max)s %(unit)s.")
                    % {"max": ceiling, "unit": unit}
                }
            )

    def event_summary(self) -> str:
        if self.quantity is None:
            return ""
        return f"{self.quantity.normalize():f} {self.unit}".strip()


class Vaccination(Entry):
    section = "vaccination"
    event_date_field = "date"
    identity_fields = ("vaccine", "dose", "date")
    past_date_fields = ("date",)

    vaccine = models.CharField(_("vaccin"), max_length=200)
    target_disease = models.CharField(_("maladie ciblée"), max_length=200, blank=True)
    dose = models.CharField(_("dose"), max_length=60, blank=True)
    date = models.DateField(_("date de vaccination"))
    batch_number = models.CharField(_("numéro de lot"), max_length=40, blank=True)
    vaccinator = models.CharField(_("vaccinateur"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        indexes = [models.Index(fields=["patient", "deleted_at"])]

    def __str__(self) -> str:
        return self.vaccine

    def event_summary(self) -> str:
        return " · ".join(p for p in (self.target_disease, self.dose) if p)


class MeasureKind(models.TextChoices):
    WEIGHT = "weight", _("Poids")
    HEIGHT = "height", _("Taille")
    HEART_RATE = "heart_rate", _("Fréquence cardiaque")
    BLOOD_PRESSURE = "blood_pressure", _("Tension artérielle")
    BLOOD_GLUCOSE = "blood_glucose", _("Glycémie")
    TEMPERATURE = "temperature", _("Température")
    SPO2 = "spo2", _("Saturation en oxygène")
    HEAD_CIRCUMFERENCE = "head_circumference", _("Périmètre crânien")
    WAIST = "waist", _("Tour de taille")


def _fr(number: Decimal) -> str:
    return number_format(number.normalize())


def format_decimal(value: Decimal, decimals: int) -> str:
    """Round half up, then format for the active language (Django's formatter truncates)."""
    quantum = Decimal(1).scaleb(-decimals)
    return number_format(value.quantize(quantum, rounding=ROUND_HALF_UP), decimals)


class MeasureSpec:
    """Unit, decimals and plausible range of one kind of measure."""

    def __init__(
        self,
        unit: str,
        low: str,
        high: str,
        decimals: int,
        low2: str | None = None,
        high2: str | None = None,
    ) -> None:
        self.unit = unit
        self.low = Decimal(low)
        self.high = Decimal(high)
        self.decimals = decimals
        self.low2 = Decimal(low2) if low2 else None
        self.high2 = Decimal(high2) if high2 else None


# Plausible ranges: wide enough for newborns and extreme but real values,
# narrow enough to catch a typo (2,000 kg, heart rate 0).
MEASURE_SPECS: dict[str, MeasureSpec] = {
    MeasureKind.WEIGHT: MeasureSpec("kg", "0.3", "400", 1),
    MeasureKind.HEIGHT: MeasureSpec("cm", "20", "260", 1),
    MeasureKind.HEART_RATE: MeasureSpec("bpm", "20", "250", 0),
    MeasureKind.BLOOD_PRESSURE: MeasureSpec("mmHg", "50", "260", 0, "30", "160"),
    MeasureKind.BLOOD_GLUCOSE: MeasureSpec("g/L", "0.2", "6", 2),
    MeasureKind.TEMPERATURE: MeasureSpec("°C", "30", "44", 1),
    MeasureKind.SPO2: MeasureSpec("%", "50", "100", 0),
    MeasureKind.HEAD_CIRCUMFERENCE: MeasureSpec("cm", "20", "70", 1),
    MeasureKind.WAIST: MeasureSpec("cm", "30", "250", 1),
}


class Measure(Entry):
    """One health measure. Blood pressure uses ``value`` (systolic) and ``value2``.

    BMI is not stored: it is derived from weight and the latest height by
    ``records.selectors.measure_bmi_series``.
    """

    section = "measure"
    event_date_field = "measured_at"
    identity_fields = ("kind", "value", "value2", "measured_at")
    past_date_fields = ("measured_at",)

    kind = models.CharField(_("mesure"), max_length=24, choices=MeasureKind.choices)
    value = models.DecimalField(_("valeur"), max_digits=7, decimal_places=2)
    value2 = models.DecimalField(
        _("valeur diastolique"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    measured_at = models.DateTimeField(_("date de la mesure"))
    notes = models.CharField(_("remarque"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        indexes = [models.Index(fields=["patient", "kind", "measured_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0),
                violation_error_message=_("La valeur de la mesure doit être supérieure à zéro."),
                name="measure_value_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind="blood_pressure", value2__isnull=False)
                | (~Q(kind="blood_pressure") & Q(value2__isnull=True)),
                violation_error_message=_(
                    "La tension artérielle s’indique avec ses deux chiffres (systolique et diastolique) ; les autres mesures n’ont qu’une valeur."
                ),
                name="measure_value2_only_for_blood_pressure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.display_value}"

    @property
    def spec(self) -> MeasureSpec:
        return MEASURE_SPECS[self.kind]

    def clean_section(self) -> None:
        if self.kind not in MEASURE_SPECS or self.value is None:
            return
        spec = self.spec
        label = self.get_kind_display().lower()
        if not spec.low <= self.value <= spec.high:
            raise ValidationError(
                {
                    "value": _(
                        "Valeur non plausible pour la mesure « %(kind)s » : elle doit être comprise entre %(low)s et %(high)s %(unit)s."
                    )
                    % {
                        "kind": label,
                        "low": _fr(spec.low),
                        "high": _fr(spec.high),
                        "unit": spec.unit,
                    }
                }
            )
        if self.kind == MeasureKind.BLOOD_PRESSURE:
            if self.value2 is None:
                raise ValidationError(
                    {"value2": _("Indiquez aussi la tension diastolique (le chiffre du bas).")}
                )
            assert spec.low2 is not None and spec.high2 is not None  # noqa: S101
            if not spec.low2 <= self.value2 <= spec.high2:
                raise ValidationError(
                    {
                        "value2": _(
                            "Tension diastolique non plausible : elle doit être comprise entre %(low)s et %(high)s mmHg."
                        )
                        % {"low": _fr(spec.low2), "high": _fr(spec.high2)}
                    }
                )
            if self.value2 >= self.value:
                raise ValidationError(
                    {
                        "value2": _(
                            "La tension diastolique doit être inférieure à la tension systolique."
                        )
                    }
                )
        elif self.value2 is not None:
            raise ValidationError({"value2": _("Une seule valeur est attendue pour cette mesure.")})

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def display_value(self) -> str:
        text = format_decimal(self.value, self.spec.decimals)
        if self.kind == MeasureKind.BLOOD_PRESSURE and self.value2 is not None:
            text = f"{text}/{format_decimal(self.value2, self.spec.decimals)}"
        return f"{text} {self.unit}"

    def event_summary(self) -> str:
        return self.display_value


SECTION_MODELS: dict[str, type[Entry]] = {
    model.section: model
    for model in (
        Condition,
        Treatment,
        Hospitalisation,
        Handicap,
        Allergy,
        FamilyHistory,
        Habit,
        Vaccination,
        Measure,
    )
}


class ItemKind(models.TextChoices):
    """What the profession × item-kind matrix decides on: the sections, plus mental
    health (conditions coded in ICD-10 chapter F), plus documents (later)."""

    CONDITION = "condition", _("Maladies (hors santé mentale)")
    MENTAL_HEALTH = "mental_health", _("Santé mentale (CIM-10 chapitre F)")
    TREATMENT = "treatment", _("Traitements")
    HOSPITALISATION = "hospitalisation", _("Hospitalisations")
    HANDICAP = "handicap", _("Handicaps")
    ALLERGY = "allergy", _("Allergies et intolérances")
    FAMILY = "family", _("Antécédents familiaux")
    HABIT = "habit", _("Habitudes de vie")
    VACCINATION = "vaccination", _("Vaccinations")
    MEASURE = "measure", _("Mesures")
