"""The campaigns' dashboard as a CSV file, for spreadsheets in France."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone

from consent.optout.selectors import COUNT_FIELDS, CampaignFigures

# Fixed French names: spreadsheets and scripts read these columns by name,
# whatever the language of the admin who exports.
CSV_COLUMNS = (
    "Campagne",
    "État",
    "Démarrée le",
    "Dossiers créés",
    "Avis à émettre",
    "Avis envoyés",
    "Courriels",
    "Courriels non distribués remplacés par un courrier",
    "Courriers",
    "Courriers revenus (NPAI)",
    "Oppositions",
    "Ouvertures anticipées en ligne",
    "Ouvertures anticipées par l’assistance",
    "Ouvertures automatiques",
    "En attente d’ouverture",
    "Dossiers fermés ou supprimés",
    "Dossiers ouverts",
    "Dossiers ouverts utilisés",
    "Part utilisée (%)",
)
CSV_DELIMITER = ";"  # what Excel expects in a French locale
# A cell starting with one of these would run as a formula in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_row(row: CampaignFigures, name: str) -> list[str]:
    percent = row.used_percent
    return [
        _cell(name),
        _cell(row.state),
        timezone.localdate(row.started_at).strftime("%d/%m/%Y") if row.started_at else "",
        *(str(getattr(row, count)) for count in COUNT_FIELDS),
        f"{percent:.1f}".replace(".", ",") if percent is not None else "",
    ]


def dashboard_csv(*, campaigns: Iterable[CampaignFigures], total: CampaignFigures) -> bytes:
    """One row per campaign and a total row, for Excel in France: ``;`` between
    cells, UTF-8 with a BOM, decimal comma; a name that a spreadsheet would run
    as a formula is prefixed with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in campaigns:
        writer.writerow(_csv_row(row, row.name))
    writer.writerow(_csv_row(total, "Total"))
    return buffer.getvalue().encode("utf-8-sig")
