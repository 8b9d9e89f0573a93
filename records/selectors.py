"""Reads of the record. Every function takes a ``RecordAccess`` from ``consent.policy``
and reads through it, so what it returns is already filtered in SQL, except
:func:`patient_by_identity`, the one way to find a patient from what a
professional or a sending system types, before any access exists.

Query counts do not grow with the size of the record: lists are paginated,
summaries use aggregates and bounded slices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from records.lifecycle.models import RecordState
from records.models import (
    SECTION_MODELS,
    ConditionStatus,
    Entry,
    EventKind,
    Measure,
    MeasureKind,
    Patient,
    Severity,
    TimelineEvent,
)

if TYPE_CHECKING:
    from consent.policy import RecordAccess
    from messpace.accounts.models import User

E = TypeVar("E", bound=Entry)


def patient_by_identity(
    *,
    nir: str,
    birth_date: dt.date,
    active_only: bool = True,
    excluding_user: User | None = None,
    accepting_emergency_access: bool = False,
) -> Patient | None:
    """The patient with this INS (compact, as the forms normalise it) and birth date.

    By default only a patient whose record is active, and never
    ``excluding_user`` themself (a professional does not open their own record
    as a patient's); with ``accepting_emergency_access``, not a patient who
    refused emergency access. A miss is ``None`` whatever its reason, in one
    query either way; callers answer
    every miss the same way, and rate-limit the look-ups, so that identities
    cannot be guessed. This finds the patient; the access policy then decides.
    """
    qs = Patient.objects.filter(nir=nir, birth_date=birth_date)
    if active_only:
        qs = qs.filter(record__state=RecordState.ACTIVE)
    if excluding_user is not None:
        qs = qs.exclude(user_id=excluding_user.pk)
    if accepting_emergency_access:
        qs = qs.exclude(consent_settings__refuses_emergency_access=True)
    return qs.order_by("pk").first()


# How each section's list is ordered: newest first by its event date, then by id.
SECTION_ORDERING: dict[str, tuple[str, ...]] = {
    "condition": ("-start_date", "-id"),
    "treatment": ("-start_date", "-id"),
    "hospitalisation": ("-admission_date", "-id"),
    "handicap": ("-since", "-id"),
    "allergy": ("-since", "-id"),
    "family": ("relative", "-id"),
    "habit": ("kind", "-since", "-id"),
    "vaccination": ("-date", "-id"),
    "measure": ("-measured_at", "-id"),
}


def section_entries(*, access: RecordAccess, section: str) -> QuerySet[Entry]:
    model = SECTION_MODELS[section]
    return (
        access.entries(model)
        .select_related("author", "author__professional")
        .order_by(*SECTION_ORDERING[section])
    )


def entry_duplicates(
    *, access: RecordAccess, model: type[E], data: Mapping[str, Any], limit: int = 3
) -> list[E]:
    """Entries this actor sees that equal ``data`` on the model's ``identity_fields``.

    Text is compared without case or surrounding spaces; an empty value
    matches only an empty one. An entry the actor may not see is never
    reported (it would reveal it), so a professional can add what the patient
    hid from them.
    """
    if not model.identity_fields:
        return []
    match = Q()
    for name in model.identity_fields:
        value = data.get(name)
        field = model._meta.get_field(name)
        if value is None or value == "":
            match &= (
                Q(**{f"{name}__isnull": True}) if getattr(field, "null", False) else Q(**{name: ""})
            )
        elif isinstance(value, str):
            match &= Q(**{f"{name}__iexact": value.strip()})
        else:
            match &= Q(**{name: value})
    return list(access.entries(model).filter(match).order_by("-created_at", "-id")[:limit])


def section_page(*, access: RecordAccess, section: str, page: Any, per_page: int) -> Page[Entry]:
    paginator = Paginator(section_entries(access=access, section=section), per_page)
    return paginator.get_page(page)


@dataclass
class SectionSummary:
    section: str
    count: int
    latest: list[Entry] = field(default_factory=list)


# What a summary card shows first: what matters, not what is newest. Active
# conditions before those in remission or cured, the open-ended (long-term)
# ones first and the oldest of them first; current treatments before stopped
# ones; allergies by severity. The other sections, newest first.
def _summary_ordering(section: str, today: dt.date) -> tuple[Any, ...]:
    if section == "condition":
        return (
            Case(
                When(status=ConditionStatus.ACTIVE, then=Value(0)),
                When(status=ConditionStatus.REMISSION, then=Value(1)),
                default=Value(2),
            ),
            Case(When(end_date__isnull=True, then=Value(0)), default=Value(1)),
            F("start_date").asc(nulls_last=True),
            "-id",
        )
    if section == "treatment":
        return (
            Case(
                When(Q(end_date__isnull=True) | Q(end_date__gte=today), then=Value(0)),
                default=Value(1),
            ),
            F("start_date").desc(nulls_last=True),
            "-id",
        )
    if section == "allergy":
        return (
            Case(
                When(severity=Severity.SEVERE, then=Value(0)),
                When(severity=Severity.MODERATE, then=Value(1)),
                When(severity=Severity.MILD, then=Value(2)),
                default=Value(3),
            ),
            F("since").desc(nulls_last=True),
            "-id",
        )
    return SECTION_ORDERING[section]


# The sections of a professional's summary come in clinical order: allergies
# (and what is critical), active problems, current treatments, then the rest.
CLINICAL_ORDER = ("allergy", "condition", "treatment")


def dashboard_summary(
    *, access: RecordAccess, per_section: int = 3, clinical: bool = False
) -> list[SectionSummary]:
    """Count and first entries (what matters first) of every section but measures;
    with ``clinical``, allergies, conditions and treatments lead.

    One query for all the counts and one per section for its entries,
    whatever the size of the record.
    """
    today = timezone.localdate()
    sections = {
        key: model
        for key, model in SECTION_MODELS.items()
        if key != "measure" and access.sees_section(key)
    }
    counts = _section_counts(access=access, sections=sections) if sections else {}
    return [
        SectionSummary(
            section=section,
            count=counts[section],
            latest=list(
                access.entries(model).order_by(*_summary_ordering(section, today))[:per_section]
            ),
        )
        for section, model in _in_order(sections, clinical)
    ]


def _in_order(sections: dict[str, type[Entry]], clinical: bool) -> list[tuple[str, type[Entry]]]:
    items = list(sections.items())
    if not clinical:
        return items
    rank = {key: n for n, key in enumerate(CLINICAL_ORDER)}
    return sorted(items, key=lambda item: rank.get(item[0], len(rank)))


def _section_counts(*, access: RecordAccess, sections: dict[str, type[Entry]]) -> dict[str, int]:
    # Each count is a scalar subquery over the access's own queryset, all in one SELECT.
    annotations = {
        f"n_{section}": Coalesce(
            Subquery(
                access.entries(model)
                .order_by()
                .values("patient")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )
        for section, model in sections.items()
    }
    names = list(annotations)
    row = (
        Patient.objects.filter(pk=access.patient.pk)
        .annotate(**annotations)
        .values_list(*names)
        .get()
    )
    return {section: int(count) for section, count in zip(sections, row, strict=True)}


def measures_latest(
    *, access: RecordAccess, since: dt.datetime | None = None
) -> dict[str, Measure]:
    """The latest measure of each kind (taken ``since``, if given), in two queries."""
    qs = access.entries(Measure)
    if since is not None:
        qs = qs.filter(measured_at__gte=since)
    last_dates = list(qs.values("kind").annotate(last=Max("measured_at")).order_by())
    if not last_dates:
        return {}
    cond = Q()
    for row in last_dates:
        cond |= Q(kind=row["kind"], measured_at=row["last"])
    latest: dict[str, Measure] = {}
    for m in qs.filter(cond).order_by("kind", "-id"):
        latest.setdefault(m.kind, m)
    return latest


def timeline_page(
    *,
    access: RecordAccess,
    kinds: list[str] | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    page: Any,
    per_page: int,
) -> Page[TimelineEvent]:
    qs = access.timeline()
    if kinds:
        qs = qs.filter(kind__in=[k for k in kinds if k in EventKind.values])
    if date_from:
        qs = qs.filter(occurred_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__date__lte=date_to)
    return Paginator(qs.order_by("-occurred_at", "-id"), per_page).get_page(page)


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    value: Decimal
    value2: Decimal | None = None


def measure_series(
    *, access: RecordAccess, kind: str, since: dt.datetime | None = None, limit: int = 500
) -> list[Point]:
    """Chronological points of one measure kind (the latest ``limit`` of them)."""
    qs = access.entries(Measure).filter(kind=kind)
    if since is not None:
        qs = qs.filter(measured_at__gte=since)
    rows = list(
        qs.order_by("-measured_at", "-id").values_list("measured_at", "value", "value2")[:limit]
    )
    rows.reverse()
    return [Point(at=r[0], value=r[1], value2=r[2]) for r in rows]


def bmi_from(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body mass index in kg/m², rounded half-up to one decimal (70 kg, 175 cm: 22.9)."""
    metres = height_cm / Decimal(100)
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def bmi_series(weights: list[Point], heights: list[Point]) -> list[Point]:
    """BMI of each weight, with the latest height measured at or before it.

    Weights older than every height use the first height: an adult's height
    barely changes, and a height typed in today should not hide years of BMI.
    """
    if not heights:
        return []
    points: list[Point] = []
    h_index = 0
    for w in weights:
        while h_index + 1 < len(heights) and heights[h_index + 1].at <= w.at:
            h_index += 1
        points.append(Point(at=w.at, value=bmi_from(w.value, heights[h_index].value)))
    return points


def measure_bmi_series(*, access: RecordAccess, limit: int = 500) -> list[Point]:
    """BMI derived for each weight (see ``bmi_series``), oldest first.

    BMI is only meaningful for adults with this formula; the caller decides
    whether to show it (children use growth charts instead).
    """
    return bmi_series(
        measure_series(access=access, kind=MeasureKind.WEIGHT, limit=limit),
        measure_series(access=access, kind=MeasureKind.HEIGHT, limit=limit),
    )


def bmi_latest(*, access: RecordAccess, latest: dict[str, Measure] | None = None) -> Decimal | None:
    """BMI from the latest weight and the latest height; ``latest`` saves re-reading them."""
    if latest is None:
        latest = measures_latest(access=access)
    weight, height = latest.get(MeasureKind.WEIGHT), latest.get(MeasureKind.HEIGHT)
    if weight is None or height is None:
        return None
    return bmi_from(weight.value, height.value)
