"""Record pages shared by patients and professionals.

Each handler receives a ``RecordAccess`` already established by the caller
(``own_record_access`` or ``professional_record_access``); the URL modules
only decide which. Handlers stay thin: they call selectors and services.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consent import services as consent_services
from consent.forms import ConfidentialityForm
from consent.models import AccessAction
from consent.policy import RecordAccess
from consent.views.confidentiality import apply_confidentiality
from messpace.forms import apply_errors
from messpace.grammar import of_name
from records import charts, panels, selectors, services
from records import growth as growth_reference
from records.forms import TimelineFilterForm
from records.models import MEASURE_SPECS, MeasureKind, format_decimal
from records.sections import SECTIONS, SECTIONS_BY_KEY, SECTIONS_BY_SLUG, Section
from records.templatetags.records_tags import record_reverse


def _section_or_404(access: RecordAccess, slug: str) -> Section:
    """The section, if it exists and the actor's profession may see it.

    A section the matrix keeps from a professional answers 404 rather than an
    empty list: "no allergy recorded" must never be shown when it means
    "not allowed to know".
    """
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None or not access.sees_section(section.key):
        raise Http404
    return section


def _base_context(access: RecordAccess, **extra: Any) -> dict[str, Any]:
    sections = [s for s in SECTIONS if access.sees_section(s.key)]
    return {"access": access, "patient": access.patient, "sections": sections, **extra}


def dashboard(request: HttpRequest, access: RecordAccess) -> HttpResponse:
    access.log(action=AccessAction.READ, what="dashboard")
    clinical = access.role == "professional"
    summaries = selectors.dashboard_summary(access=access, clinical=clinical)
    # Only the last year's measures are "latest": an old weight is history.
    latest_measures = selectors.measures_latest(
        access=access, since=timezone.now() - dt.timedelta(days=365)
    )
    bmi = None
    if not access.patient.is_minor:
        bmi = selectors.bmi_latest(access=access, latest=latest_measures)
    events = list(access.timeline().select_related(None).order_by("-occurred_at", "-id")[:5])
    # Other apps' cards (recent documents…) follow the sections that lead the
    # clinical summary (allergies, conditions, treatments), before the rest.
    lead = (
        [s for s in summaries if s.section in selectors.CLINICAL_ORDER] if clinical else summaries
    )
    context = _base_context(
        access,
        summaries=[(SECTIONS_BY_KEY[s.section], s) for s in summaries],
        panels=panels.dashboard_panels(access=access, clinical=clinical),
        panels_after=len(lead),
        latest_measures=[
            (label, latest_measures.get(kind))
            for kind, label in MeasureKind.choices
            if kind in latest_measures
        ],
        bmi=bmi,
        events=events,
        sees_measures=access.sees_section("measure"),
        clinical=clinical,
        today=timezone.localdate(),
    )
    return render(request, "records/dashboard.html", context)


def section_list(request: HttpRequest, access: RecordAccess, slug: str) -> HttpResponse:
    section = _section_or_404(access, slug)
    access.log(action=AccessAction.READ, what=section.key)
    page = selectors.section_page(
        access=access,
        section=section.key,
        page=request.GET.get("page"),
        per_page=settings.MESSPACE_SECTION_PAGE_SIZE,
    )
    context = _base_context(access, section=section, page=page)
    context["added"] = added_notice(access, request, section)
    if section.key == "measure":
        period = request.GET.get("periode", "")
        period = period if period in CHART_PERIODS else DEFAULT_PERIOD
        days = CHART_PERIODS[period][0]
        since = timezone.now() - dt.timedelta(days=days) if days else None
        context["charts"] = measure_charts(access, since=since)
        context["chart_period"] = period
        context["chart_periods"] = [(key, label) for key, (_d, label) in CHART_PERIODS.items()]
    return render(request, "records/section_list.html", context)


def section_add(request: HttpRequest, access: RecordAccess, slug: str) -> HttpResponse:
    section = _section_or_404(access, slug)
    if not access.can_write:
        raise PermissionDenied
    form = section.form(_posted(request), initial=_initial_from_query(request, section))
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            entry = services.entry_create(
                access=access,
                model=section.model,
                data=data,
                allow_duplicate=request.POST.get("duplicate_confirmed") == "1",
            )
        except services.DuplicateEntry as exc:
            duplicates = list(exc.existing)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The page that follows names what was added (no health data in the
            # message cookie: it reads the entry back through the policy).
            query = {"ajout": entry.pk}
            if getattr(form, "understood_as", ""):
                query["lu"] = "cmhg"
            return redirect(f"{record_reverse(access, 'section_list', slug)}?{urlencode(query)}")
    return render(
        request,
        "records/section_form.html",
        _base_context(access, section=section, form=form, duplicates=duplicates),
    )


def added_notice(access: RecordAccess, request: HttpRequest, section: Section) -> str:
    """ "« Poids : 85,4 kg » ajouté au dossier d’Emma." for the entry just added, or ""."""
    try:
        pk = int(request.GET.get("ajout", ""))
    except ValueError:
        return ""
    entry = access.entries(section.model).filter(pk=pk, author_id=access.actor.pk).first()
    if entry is None:
        return ""
    if access.is_self:
        text = _("« %(entry)s » a été ajouté à votre dossier.") % {"entry": entry}
    else:
        text = _("« %(entry)s » a été ajouté au dossier %(of_name)s.") % {
            "entry": entry,
            "of_name": of_name(access.patient.full_name),
        }
    value2 = getattr(entry, "value2", None)
    if request.GET.get("lu") == "cmhg" and value2 is not None:
        text += " " + _(
            "Vous avez écrit la tension en centimètres de mercure (%(cmhg)s) : elle est "
            "enregistrée en millimètres, %(mmhg)s, comme sur les appareils."
        ) % {
            "cmhg": f"{_plain(entry.value / 10)}/{_plain(value2 / 10)}",  # type: ignore[attr-defined]
            "mmhg": entry.display_value,  # type: ignore[attr-defined]
        }
    return text


def _plain(number: Decimal) -> str:
    return number_format(number.normalize())


def _posted(request: HttpRequest) -> Any:
    # Not ``request.POST or None``: an empty submission must be validated, not ignored.
    return request.POST if request.method == "POST" else None


def _initial_from_query(request: HttpRequest, section: Section) -> dict[str, Any]:
    kind = request.GET.get("kind")
    if section.key == "measure" and kind in MeasureKind.values:
        return {"kind": kind}
    return {}


def section_edit(request: HttpRequest, access: RecordAccess, slug: str, pk: int) -> HttpResponse:
    section = _section_or_404(access, slug)
    entry = access.entry_or_404(section.model, pk)
    if not access.may_modify(entry):
        raise PermissionDenied(_read_only_reason(access, deleting=False))
    form = section.form(_posted(request), instance=entry)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        # Reload so a refused update leaves the stored row untouched.
        entry = access.entry_or_404(section.model, pk)
        try:
            services.entry_update(access=access, entry=entry, data=data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("L’élément a été modifié."))
            return redirect(record_reverse(access, "section_list", slug))
    # The page shows the entry: for anyone but the patient, that is a read to log.
    access.log(action=AccessAction.READ, what=section.key, object_id=entry.pk)
    return render(
        request,
        "records/section_form.html",
        _base_context(access, section=section, form=form, entry=entry),
    )


def _read_only_reason(access: RecordAccess, *, deleting: bool) -> str:
    """Why the actor may not change an entry, in words they can act on."""
    if access.acts_as_patient:
        if deleting:
            return _(
                "Cet élément a été saisi par un professionnel de santé : vous ne pouvez pas le supprimer. Pour le faire corriger, adressez-vous à ce professionnel."
            )
        return _(
            "Cet élément a été saisi par un professionnel de santé : vous ne pouvez pas le modifier. Pour le faire corriger, adressez-vous à ce professionnel."
        )
    if deleting:
        return _(
            "Seul l’auteur de cet élément peut le supprimer : il a été saisi par le patient ou par un autre professionnel."
        )
    return _(
        "Seul l’auteur de cet élément peut le modifier : il a été saisi par le patient ou par un autre professionnel."
    )


def section_delete(request: HttpRequest, access: RecordAccess, slug: str, pk: int) -> HttpResponse:
    section = _section_or_404(access, slug)
    entry = access.entry_or_404(section.model, pk)
    if not access.may_modify(entry):
        raise PermissionDenied(_read_only_reason(access, deleting=True))
    if request.method == "POST":
        services.entry_delete(access=access, entry=entry)
        messages.success(request, _("L’élément a été supprimé."))
        return redirect(record_reverse(access, "section_list", slug))
    access.log(action=AccessAction.READ, what=section.key, object_id=entry.pk)
    return render(
        request,
        "records/section_delete.html",
        _base_context(access, section=section, entry=entry),
    )


def entry_confidentiality(
    request: HttpRequest, access: RecordAccess, slug: str, pk: int
) -> HttpResponse:
    """Keep an entry of a minor's record from their guardians, or stop (POST only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    section = _section_or_404(access, slug)
    entry = access.entry_or_404(section.model, pk)
    form = ConfidentialityForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    confidential: bool = form.cleaned_data["confidential"]
    apply_confidentiality(
        request,
        lambda: consent_services.entry_guardian_confidentiality_set(
            access=access, entry=entry, confidential=confidential
        ),
        str(entry),
        confidential,
    )
    url = record_reverse(access, "section_list", slug)
    page = form.cleaned_data.get("page")
    if page and page > 1:
        url += f"?page={page}"
    return HttpResponseRedirect(url)


def timeline(request: HttpRequest, access: RecordAccess) -> HttpResponse:
    access.log(action=AccessAction.READ, what="timeline")
    form = TimelineFilterForm(request.GET or None)
    kinds: list[str] | None = None
    date_from = date_to = None
    if form.is_bound and form.is_valid():
        kinds = form.cleaned_data["kind"] or None
        date_from = form.cleaned_data["date_from"]
        date_to = form.cleaned_data["date_to"]
    page = selectors.timeline_page(
        access=access,
        kinds=kinds,
        date_from=date_from,
        date_to=date_to,
        page=request.GET.get("page"),
        per_page=settings.MESSPACE_TIMELINE_PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "records/timeline.html",
        _base_context(access, form=form, page=page, pagination_query=query.urlencode()),
    )


@dataclass
class Chart:
    kind: str
    title: str
    svg: str
    rows: list[tuple[str, str]]
    # The sources of reference lines, (name, address), and a line said under the chart.
    sources: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


CHART_KINDS = [k for k in MeasureKind.values if k != MeasureKind.HEAD_CIRCUMFERENCE]
# The periods a patient may chart (days back, or None for all); a child's growth
# is always drawn whole, against age.
CHART_PERIODS: dict[str, tuple[int | None, str]] = {
    "3m": (91, _("3 mois")),
    "1a": (365, _("1 an")),
    "tout": (None, _("Tout")),
}
DEFAULT_PERIOD = "tout"
# Target bands where they are standard, drawn behind the curves:
# - self-measured blood pressure below 135/85 mmHg (HAS, « Prise en charge de
#   l’hypertension artérielle de l’adulte », 2016), from 90/60;
# - fasting blood glucose 0.70 to 1.10 g/L (HAS, « Diabète de type 2 », the
#   threshold of fasting hyperglycaemia).
TARGET_BANDS: dict[str, list[charts.Band]] = {
    MeasureKind.BLOOD_PRESSURE: [
        charts.Band(90, 135, _("systolique visée (automesure) : 90 à 135"), charts.COLOR_1),
        charts.Band(60, 85, _("diastolique visée (automesure) : 60 à 85"), charts.COLOR_2),
    ],
    MeasureKind.BLOOD_GLUCOSE: [
        charts.Band(0.70, 1.10, _("glycémie à jeun normale : 0,70 à 1,10"), charts.COLOR_1),
    ],
}
GROWTH_KINDS = [MeasureKind.HEIGHT, MeasureKind.WEIGHT, MeasureKind.HEAD_CIRCUMFERENCE]


def measure_charts(access: RecordAccess, since: dt.datetime | None = None) -> list[Chart]:
    """One chart per measure kind over time (``since``, if given); for children,
    growth against age, whole."""
    out: list[Chart] = []
    patient = access.patient
    child = patient.is_minor
    labels = dict(MeasureKind.choices)
    series_by_kind: dict[str, list[selectors.Point]] = {}
    for kind in MeasureKind.values:
        growth = child and kind in GROWTH_KINDS
        points = series_by_kind[kind] = selectors.measure_series(
            access=access, kind=kind, since=None if growth else since
        )
        if not points:
            continue
        spec = MEASURE_SPECS[kind]
        title = str(labels[kind])
        if growth:
            out.append(
                _growth_chart(
                    kind, title, points, patient.birth_date, patient.sex, spec.unit, spec.decimals
                )
            )
            continue
        if kind == MeasureKind.HEAD_CIRCUMFERENCE:
            continue
        xs, x_labels = charts.time_axis([p.at for p in points])
        series = [
            charts.Series(
                _("Systolique") if kind == MeasureKind.BLOOD_PRESSURE else title,
                list(zip(xs, [float(p.value) for p in points], strict=True)),
            )
        ]
        if kind == MeasureKind.BLOOD_PRESSURE:
            series.append(
                charts.Series(
                    _("Diastolique"),
                    list(zip(xs, [float(p.value2 or 0) for p in points], strict=True)),
                    charts.COLOR_2,
                )
            )
        desc = charts.describe(
            [p.value for p in points],
            spec.unit,
            spec.decimals,
            timezone.localtime(points[0].at).date(),
            timezone.localtime(points[-1].at).date(),
        )
        svg = charts.line_chart(
            chart_id=f"chart-{kind}",
            title=_("%(kind)s au fil du temps") % {"kind": title},
            description=desc,
            series=series,
            x_labels=x_labels,
            unit=spec.unit,
            decimals=spec.decimals,
            bands=[
                charts.Band(band.low, band.high, str(band.label), band.color)
                for band in TARGET_BANDS.get(kind, [])
            ],
        )
        rows = [
            (
                timezone.localtime(p.at).strftime("%d/%m/%Y %H:%M"),
                _value_text(p.value, p.value2, spec.decimals, spec.unit),
            )
            for p in reversed(points[-50:])
        ]
        out.append(Chart(kind=kind, title=title, svg=svg, rows=rows))
    if not child:
        bmi = selectors.bmi_series(
            series_by_kind[MeasureKind.WEIGHT], series_by_kind[MeasureKind.HEIGHT]
        )
        if bmi:
            xs, x_labels = charts.time_axis([p.at for p in bmi])
            desc = charts.describe(
                [p.value for p in bmi],
                "kg/m²",
                1,
                timezone.localtime(bmi[0].at).date(),
                timezone.localtime(bmi[-1].at).date(),
            )
            svg = charts.line_chart(
                chart_id="chart-bmi",
                title=_("Indice de masse corporelle (IMC) au fil du temps"),
                description=desc,
                series=[
                    charts.Series("IMC", list(zip(xs, [float(p.value) for p in bmi], strict=True)))
                ],
                x_labels=x_labels,
                unit="kg/m²",
                decimals=1,
            )
            rows = [
                (
                    timezone.localtime(p.at).strftime("%d/%m/%Y"),
                    _value_text(p.value, None, 1, "kg/m²"),
                )
                for p in reversed(bmi[-50:])
            ]
            out.append(Chart(kind="bmi", title=_("IMC (calculé)"), svg=svg, rows=rows))
    return out


def _value_text(value: Decimal, value2: Decimal | None, decimals: int, unit: str) -> str:
    text = format_decimal(value, decimals)
    if value2 is not None:
        text += "/" + format_decimal(value2, decimals)
    return f"{text} {unit}"


def _years(age: float) -> str:
    return ngettext("%(n)s an", "%(n)s ans", max(1, math.floor(age))) % {
        "n": number_format(round(age, 1), 1)
    }


def _whole_years(age: float) -> str:
    years = round(age)
    return ngettext("%(n)d an", "%(n)d ans", max(years, 1)) % {"n": years}


# The names of the reference lines at their right end.
def _reference_label(z: int) -> str:
    return {
        2: _("+2 ET"),
        1: _("+1 ET"),
        0: _("médiane"),
        -1: _("−1 ET"),
        -2: _("−2 ET"),
    }[z]


def _growth_chart(
    kind: str,
    title: str,
    points: list[selectors.Point],
    birth: dt.date,
    sex: str,
    unit: str,
    decimals: int,
) -> Chart:
    ages = [((timezone.localtime(p.at).date() - birth).days / 365.25) for p in points]
    xy = list(zip(ages, [float(p.value) for p in points], strict=True))
    min_age, max_age = min(ages), max(ages)
    # The ages shown: the measured ones, or half a year around a lone measure so
    # that the reference lines have a length.
    low, high = min_age, max_age
    if high - low < 0.5:
        low = max(0.0, (low + high) / 2 - 0.25)
        high = low + 0.5
    step = 1 if high - low <= 6 else 2
    # Whole years within the shown ages only: a label at age 0 for a child
    # first measured at 8 would be drawn outside the plot.
    first_year = math.ceil(low)
    x_labels = [
        (float(a), ngettext("%(n)d an", "%(n)d ans", max(a, 1)) % {"n": a})
        for a in range(first_year, math.floor(high) + 1, step)
    ] or [(min_age, _years(min_age))]
    desc = ngettext(
        "Courbe de croissance : %(kind)s selon l’âge, %(n)d mesure, de %(a0)s à %(a1)s.",
        "Courbe de croissance : %(kind)s selon l’âge, %(n)d mesures, de %(a0)s à %(a1)s.",
        len(points),
    ) % {
        "kind": title.lower(),
        "n": len(points),
        "a0": _years(min_age),
        "a1": _years(max_age),
    }
    reference = growth_reference.reference_curves(sex=sex, kind=kind, age_from=low, age_to=high)
    references: list[charts.ReferenceLine] = []
    sources: list[tuple[str, str]] = []
    if reference is None:
        span = growth_reference.coverage(kind)
        note = (
            _("Pas de courbe de référence à ces âges : celles de l’OMS s’arrêtent à %(end)s.")
            % {"end": _whole_years(span[1])}
            if span and max_age > span[1]
            else _("Pas de courbe de référence pour cette mesure.")
        )
        desc += " " + note
    else:
        references = [
            charts.ReferenceLine(
                label=_reference_label(curve.z),
                points=curve.points,
                legend=_("Médiane (OMS)") if curve.z == 0 else _("±1 et ±2 écarts types (ET)"),
                dashed=curve.z != 0,
            )
            for curve in reversed(reference.curves)
        ]
        sources = [
            (growth_reference.source_label(key), growth_reference.SOURCE_URLS[key])
            for key in reference.sources
        ]
        note = _(
            "Les courbes du carnet de santé (AFPA–CRESS/Inserm–CompuGroup Medical 2018) "
            "ne sont pas reprises ici."
        )
        desc += " " + _("Courbes de référence de l’OMS : médiane, ±1 et ±2 écarts types.")
        if reference.age_to < high:
            desc += " " + _(
                "Elles s’arrêtent à %(end)s, où s’arrêtent les données de référence."
            ) % {"end": _whole_years(reference.age_to)}
        z = growth_reference.zscore(sex=sex, kind=kind, age=ages[-1], value=float(points[-1].value))
        if z is not None:
            desc += " " + _("Dernière mesure, à %(age)s : %(position)s.") % {
                "age": _years(ages[-1]),
                "position": growth_reference.position(z),
            }
    svg = charts.line_chart(
        chart_id=f"growth-{kind}",
        title=_("%(kind)s selon l’âge") % {"kind": title},
        description=desc,
        series=[charts.Series(title, xy)],
        x_labels=x_labels,
        unit=unit,
        decimals=decimals,
        references=references,
    )
    rows = [
        (
            _years(a),
            _value_text(p.value, None, decimals, unit),
        )
        for a, p in reversed(list(zip(ages, points, strict=True)))
    ][:50]
    return Chart(
        kind=kind,
        title=_("%(kind)s selon l’âge") % {"kind": title},
        svg=svg,
        rows=rows,
        sources=sources,
        note=note,
    )
