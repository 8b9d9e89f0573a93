"""Reference growth curves for children, from the WHO's published LMS tables.

The French curves of the carnet de santé (AFPA–CRESS/Inserm–CompuGroup
Medical 2018) are not published as tables one may copy, so the curves are
the WHO's (docs/decisions.md, "Growth reference curves"):

- birth to 5 years: the WHO Child Growth Standards (2006; head circumference
  2007), by day of age;
- 5 to 19 years: the WHO Growth Reference 2007, by month of age: height to
  19 years, weight to 10 years; it has no head circumference.

The tables in ``records/growth_data/`` are unmodified copies of the WHO's own
files (their README names the source of each). A line at ``z`` standard
deviations is the LMS formula ``M (1 + L S z) ** (1 / L)`` (Cole & Green,
1992), with L, M and S interpolated linearly between two rows of the table,
as WHO AnthroPlus does between months; at a tabulated age it is the
published value.
"""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from records.models import MeasureKind, Sex

DATA_DIR = Path(__file__).resolve().parent / "growth_data"
DAYS_PER_YEAR = 365.25
# The WHO's month, for its tables by month (30.4375 = 365.25 / 12).
DAYS_PER_MONTH = 30.4375
# The lines drawn: the median and one and two standard deviations either side;
# French growth charts draw standard deviations rather than percentiles.
Z_LINES = (-2, -1, 0, 1, 2)

WHO_2006 = "who2006"
WHO_2007 = "who2007"
SOURCE_URLS = {
    WHO_2006: "https://www.who.int/tools/child-growth-standards",
    WHO_2007: "https://www.who.int/tools/growth-reference-data-for-5to19-years",
}


def source_label(key: str) -> str:
    """The source, named for the reader of the chart."""
    if key == WHO_2006:
        return _("OMS, normes de croissance de l’enfant de 0 à 5 ans (WHO Child Growth Standards)")
    return _("OMS, référence de croissance de 5 à 19 ans (WHO Growth Reference 2007)")


@dataclass(frozen=True)
class LMS:
    """Box-Cox power (L), median (M) and coefficient of variation (S) at one age."""

    l: float  # noqa: E741 - the LMS method's own name
    m: float
    s: float

    def value(self, z: float) -> float:
        """The measure lying ``z`` standard deviations from the median."""
        if self.l == 0:
            return self.m * math.exp(self.s * z)
        return self.m * (1 + self.l * self.s * z) ** (1 / self.l)

    def zscore(self, value: float) -> float:
        """How many standard deviations ``value`` lies from the median.

        The plain LMS z-score: beyond ±3 the WHO corrects it for weight, which
        changes its value there but never which side of ±2 it falls.
        """
        if self.l == 0:
            return math.log(value / self.m) / self.s
        return ((value / self.m) ** self.l - 1) / (self.l * self.s)


@dataclass(frozen=True)
class _Segment:
    """The part of a kind's reference one table covers, ages in days."""

    file: str
    source: str
    days_per_row: float
    start: float
    end: float


_STANDARDS_END = 1826.0  # the last day of the WHO standards' tables (5 years)
SEGMENTS: dict[str, tuple[_Segment, ...]] = {
    MeasureKind.HEIGHT: (
        # Length lying down to 730 days, then standing height: the table itself
        # steps by the 0.7 cm the WHO found between the two.
        _Segment("lenanthro.txt", WHO_2006, 1, 0, _STANDARDS_END),
        _Segment("hfawho2007.txt", WHO_2007, DAYS_PER_MONTH, _STANDARDS_END, 228 * DAYS_PER_MONTH),
    ),
    MeasureKind.WEIGHT: (
        _Segment("weianthro.txt", WHO_2006, 1, 0, _STANDARDS_END),
        _Segment("wfawho2007.txt", WHO_2007, DAYS_PER_MONTH, _STANDARDS_END, 120 * DAYS_PER_MONTH),
    ),
    MeasureKind.HEAD_CIRCUMFERENCE: (_Segment("hcanthro.txt", WHO_2006, 1, 0, _STANDARDS_END),),
}
# The WHO tables' code for each sex.
_SEX_CODES: dict[str, int] = {Sex.MALE: 1, Sex.FEMALE: 2}


@dataclass(frozen=True)
class _Table:
    ages: tuple[float, ...]
    rows: tuple[LMS, ...]


@cache
def _table(file: str, sex: int) -> _Table:
    """One sex's rows of a WHO table, read once per process."""
    pairs: list[tuple[float, LMS]] = []
    with (DATA_DIR / file).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if int(row["sex"]) == sex:
                lms = LMS(float(row["l"]), float(row["m"]), float(row["s"]))
                pairs.append((float(row["age"]), lms))
    pairs.sort(key=lambda pair: pair[0])
    return _Table(tuple(age for age, _lms in pairs), tuple(lms for _age, lms in pairs))


def _interpolate(table: _Table, age: float) -> LMS:
    index = bisect.bisect_left(table.ages, age)
    if index < len(table.ages) and table.ages[index] == age:
        return table.rows[index]
    if index == 0:
        return table.rows[0]
    if index == len(table.ages):
        return table.rows[-1]
    a0, a1 = table.ages[index - 1], table.ages[index]
    r0, r1 = table.rows[index - 1], table.rows[index]
    t = (age - a0) / (a1 - a0)
    return LMS(r0.l + (r1.l - r0.l) * t, r0.m + (r1.m - r0.m) * t, r0.s + (r1.s - r0.s) * t)


def _segment(kind: str, days: float) -> _Segment | None:
    for segment in SEGMENTS.get(kind, ()):
        if segment.start <= days <= segment.end:
            return segment
    return None


def lms_at(*, sex: str, kind: str, days: float) -> LMS | None:
    """L, M and S for a sex, a kind of measure and an age in days; None where
    the WHO gives no reference (an adult, a head circumference after 5 years)."""
    code = _SEX_CODES.get(sex)
    segment = _segment(kind, days)
    if code is None or segment is None:
        return None
    return _interpolate(_table(segment.file, code), days / segment.days_per_row)


def coverage(kind: str) -> tuple[float, float] | None:
    """The ages (years) the reference covers for a kind of measure."""
    segments = SEGMENTS.get(kind)
    if not segments:
        return None
    return segments[0].start / DAYS_PER_YEAR, segments[-1].end / DAYS_PER_YEAR


def zscore(*, sex: str, kind: str, age: float, value: float) -> float | None:
    """The z-score of a measure taken at ``age`` (years), or None outside the reference."""
    lms = lms_at(sex=sex, kind=kind, days=age * DAYS_PER_YEAR)
    if lms is None or value <= 0:
        return None
    return lms.zscore(value)


@dataclass(frozen=True)
class Curve:
    """One reference line: the measure ``z`` standard deviations from the median, by age."""

    z: int
    points: tuple[tuple[float, float], ...]  # (age in years, measure)


@dataclass(frozen=True)
class Reference:
    """The reference lines over the part of an age range the tables cover."""

    curves: tuple[Curve, ...]
    age_from: float
    age_to: float
    sources: tuple[str, ...]  # the keys of SOURCE_URLS the lines come from


def reference_curves(
    *, sex: str, kind: str, age_from: float, age_to: float, samples: int = 60
) -> Reference | None:
    """The lines of ``Z_LINES`` between two ages (years), clipped to the ages
    the reference covers; None when it covers none of them."""
    span = coverage(kind)
    if span is None or sex not in _SEX_CODES:
        return None
    low, high = max(age_from, span[0]), min(age_to, span[1])
    if high <= low:
        return None
    ages = [low + (high - low) * i / (samples - 1) for i in range(samples)]
    # The ages where a table starts or ends, so a line turns where its source does.
    for segment in SEGMENTS[kind]:
        for edge in (segment.start / DAYS_PER_YEAR, segment.end / DAYS_PER_YEAR):
            if low < edge < high:
                ages.append(edge)
    ages = sorted(set(ages))
    lms = [lms_at(sex=sex, kind=kind, days=age * DAYS_PER_YEAR) for age in ages]
    pairs = [(age, row) for age, row in zip(ages, lms, strict=True) if row is not None]
    curves = tuple(Curve(z, tuple((age, row.value(z)) for age, row in pairs)) for z in Z_LINES)
    sources = tuple(
        dict.fromkeys(
            segment.source
            for segment in SEGMENTS[kind]
            if segment.start / DAYS_PER_YEAR < high and segment.end / DAYS_PER_YEAR > low
        )
    )
    return Reference(curves=curves, age_from=low, age_to=high, sources=sources)


def position(z: float) -> str:
    """Where a z-score lies among the lines drawn, in words."""
    if z < -2:
        return _("en dessous de −2 écarts types")
    if z < -1:
        return _("entre −2 et −1 écart type")
    if z < 0:
        return _("entre −1 écart type et la médiane")
    if z < 1:
        return _("entre la médiane et +1 écart type")
    if z < 2:
        return _("entre +1 et +2 écarts types")
    return _("au-dessus de +2 écarts types")
