"""The console's national figures page and its CSV export (admins). Both read
the table the nightly task fills, never the records."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from messpace.console.roles import ConsoleRole, console_page
from messpace.statistics import charts, selectors
from messpace.statistics.models import Period


@console_page(ConsoleRole.ADMIN)
def figures(request: HttpRequest) -> HttpResponse:
    data = selectors.national_figures()
    blocks = [
        {
            "series": series,
            "svg": charts.bar_chart(
                chart_id=f"chart-{series.metric.slug}",
                title=str(series.metric.label),
                points=series.points,
                weekly=series.metric.period == Period.WEEK,
                percent=series.metric.unit == "percent",
            ),
        }
        for series in data.series
    ]
    return render(
        request, "statistics/figures.html", {"blocks": blocks, "computed_at": data.computed_at}
    )


@console_page(ConsoleRole.ADMIN)
def figures_csv(request: HttpRequest) -> HttpResponse:
    data = selectors.national_figures()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    # French words and decimal commas whatever the admin's language, for French Excel.
    with translation.override("fr"):
        writer.writerow(["indicateur", "période", "début", "valeur", "unité"])
        for series in data.series:
            for starts_on, value in series.points:
                writer.writerow(
                    [
                        str(series.metric.label),
                        Period(series.metric.period).label,
                        starts_on.isoformat(),
                        _csv_value(value, percent=series.metric.unit == "percent"),
                        "%" if series.metric.unit == "percent" else "nombre",
                    ]
                )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="chiffres-nationaux-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response


def _csv_value(value: float | None, *, percent: bool) -> str:
    if value is None:
        return ""
    return str(value).replace(".", ",") if percent else str(round(value))
