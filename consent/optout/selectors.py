"""The campaigns' dashboard: how many people each opt-out campaign reached, and
what became of their records. Reads only, for the admin pages.

Only counts leave this module, never a name, a NIR or an address. Every
figure is computed by PostgreSQL in a handful of aggregate queries
(conditional ``Count(..., filter=Q(...))`` grouped by campaign), so the page
costs the same few queries for a hundred records or ten million.

Definitions (also in ``docs/operations.md``):

- *created*: the records a campaign targeted (one notice each); for all
  campaigns together, every record ever created, targeted or not yet;
- *notified*: notices issued; the sendings are counted by channel (email,
  letter), with the emails that bounced (each replaced by a letter) and the
  letters that came back (NPAI, no further fallback);
- *opposed*, *activated early* (online or through the support service),
  *opened automatically*: the notice's answer (``Notice.outcome``), which
  stays what it was even if the record changes state later;
- *pending*: notified, no answer, waiting for the opening date;
- *closed*: records of the campaign now closed or deleted;
- *opened*: records of the campaign now active or closed; *used*: those of
  them whose patient has a login that has signed in at least once.

The SVG charts (accessible, no JavaScript) are in :mod:`consent.optout.charts`,
the CSV export in :mod:`consent.optout.exports`. The cohort imports' reads
for their admin page come last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils.translation import gettext as _

from consent.optout.models import (
    Campaign,
    CampaignState,
    CohortImport,
    CohortImportError,
    DeliveryChannel,
    DeliveryState,
    LetterBatch,
    Notice,
    NoticeDelivery,
    NoticeOutcome,
)
from messpace import vault
from messpace.blobs import blob_get
from records.lifecycle.models import Record, RecordState

OPENED_STATES = (RecordState.ACTIVE, RecordState.CLOSED)
CLOSED_STATES = (RecordState.CLOSED, RecordState.DELETED)


# --- Figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    """The counts of one campaign, or of all of them together (``campaign_id`` None)."""

    campaign_id: int | None
    name: str
    state: str  # the state's label ("Envoyée"…), empty for the total
    started_at: dt.datetime | None
    created: int
    to_issue: int  # notices not issued yet (a campaign still sending)
    notified: int
    emails: int
    emails_bounced: int  # each one replaced by a letter
    letters: int  # including the replacement letters
    letters_returned: int  # NPAI: no further fallback, support follows up
    opposed: int
    activated_online: int
    activated_support: int
    opened_auto: int
    pending: int
    closed: int
    opened: int
    used: int

    @property
    def activated_early(self) -> int:
        return self.activated_online + self.activated_support

    @property
    def used_percent(self) -> float | None:
        """Share of the opened records actually used, in percent (None if none opened)."""
        return 100 * self.used / self.opened if self.opened else None


@dataclass(frozen=True)
class WeekAnswers:
    """The answers given during one week (Monday, Paris time), by kind."""

    week: dt.date
    opposed: int
    activated: int
    opened: int


@dataclass(frozen=True)
class CampaignDashboard:
    figures: CampaignFigures
    weeks: list[WeekAnswers]


@dataclass(frozen=True)
class OverallDashboard:
    campaigns: list[CampaignFigures]  # newest first
    total: CampaignFigures
    weeks: list[WeekAnswers]


# The counted fields, in the dataclass's order (and the export's).
COUNT_FIELDS = (
    "created",
    "to_issue",
    "notified",
    "emails",
    "emails_bounced",
    "letters",
    "letters_returned",
    "opposed",
    "activated_online",
    "activated_support",
    "opened_auto",
    "pending",
    "closed",
    "opened",
    "used",
)


def _notice_counts(campaign_id: int | None) -> dict[int, dict[str, int]]:
    """Per campaign: the notices' and their records' counts, in one grouped query."""
    qs = Notice.objects.all()
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    rows = (
        qs.order_by()
        .values("campaign_id")
        .annotate(
            created=Count("pk"),
            to_issue=Count("pk", filter=Q(issued_at__isnull=True)),
            notified=Count("pk", filter=Q(issued_at__isnull=False)),
            opposed=Count("pk", filter=Q(outcome=NoticeOutcome.OPPOSED)),
            activated_online=Count(
                "pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY, outcome_by_support=False)
            ),
            activated_support=Count(
                "pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY, outcome_by_support=True)
            ),
            opened_auto=Count("pk", filter=Q(outcome=NoticeOutcome.OPENED)),
            pending=Count(
                "pk", filter=Q(issued_at__isnull=False, record__state=RecordState.NOTIFIED)
            ),
            closed=Count("pk", filter=Q(record__state__in=CLOSED_STATES)),
            opened=Count("pk", filter=Q(record__state__in=OPENED_STATES)),
            used=Count(
                "pk",
                filter=Q(
                    record__state__in=OPENED_STATES,
                    record__patient__user__last_login__isnull=False,
                ),
            ),
        )
    )
    return {row.pop("campaign_id"): row for row in rows}


def _delivery_counts(campaign_id: int | None) -> dict[int, dict[str, int]]:
    """Per campaign: the sendings by channel, bounced emails and returned letters."""
    qs = NoticeDelivery.objects.all()
    if campaign_id is not None:
        qs = qs.filter(notice__campaign_id=campaign_id)
    # Emails that left (or may have: claimed by a worker); not those still
    # waiting, nor those cancelled because the person answered first.
    email = Q(channel=DeliveryChannel.EMAIL) & ~Q(
        state__in=[DeliveryState.PENDING, DeliveryState.CANCELLED]
    )
    letter = Q(channel=DeliveryChannel.LETTER)
    bounced = Q(state=DeliveryState.BOUNCED)
    rows = (
        qs.order_by()
        .values("notice__campaign_id")
        .annotate(
            emails=Count("pk", filter=email),
            emails_bounced=Count("pk", filter=email & bounced),
            letters=Count("pk", filter=letter),
            letters_returned=Count("pk", filter=letter & bounced),
        )
    )
    return {row.pop("notice__campaign_id"): row for row in rows}


def _weeks(campaign_id: int | None) -> list[WeekAnswers]:
    """Answers per week of ``outcome_at`` (weeks start on Monday, Paris time), with
    the weeks without any answer in between filled with zeros."""
    qs = Notice.objects.exclude(outcome="").filter(outcome_at__isnull=False)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    rows = (
        qs.order_by()
        .annotate(week=Trunc("outcome_at", "week", output_field=DateField()))
        .values("week")
        .annotate(
            opposed=Count("pk", filter=Q(outcome=NoticeOutcome.OPPOSED)),
            activated=Count("pk", filter=Q(outcome=NoticeOutcome.ACTIVATED_EARLY)),
            opened=Count("pk", filter=Q(outcome=NoticeOutcome.OPENED)),
        )
        .order_by("week")
    )
    found = {row["week"]: row for row in rows}
    if not found:
        return []
    weeks = []
    week, last = min(found), max(found)
    while week <= last:
        row = found.get(week, {})
        weeks.append(
            WeekAnswers(
                week=week,
                opposed=row.get("opposed", 0),
                activated=row.get("activated", 0),
                opened=row.get("opened", 0),
            )
        )
        week += dt.timedelta(days=7)
    return weeks


def _figures(
    campaign: Mapping[str, Any], notices: dict[str, int], deliveries: dict[str, int]
) -> CampaignFigures:
    found = {**notices, **deliveries}
    state = campaign["state"]
    return CampaignFigures(
        campaign_id=campaign["pk"],
        name=campaign["name"],
        state=str(CampaignState(state).label) if state in CampaignState.values else state,
        started_at=campaign["started_at"],
        **{name: found.get(name, 0) for name in COUNT_FIELDS},
    )


def campaign_dashboard(*, campaign_id: int) -> CampaignDashboard:
    """The figures of one campaign and its answers per week (four queries).

    Raises ``Campaign.DoesNotExist`` for an unknown campaign.
    """
    campaign = Campaign.objects.values("pk", "name", "state", "started_at").get(pk=campaign_id)
    notices = _notice_counts(campaign_id).get(campaign_id, {})
    deliveries = _delivery_counts(campaign_id).get(campaign_id, {})
    return CampaignDashboard(
        figures=_figures(campaign, notices, deliveries), weeks=_weeks(campaign_id)
    )


def overall_dashboard() -> OverallDashboard:
    """Every campaign's figures, their total and the answers per week (five queries).

    The total adds up the campaigns' rows, except *created*: every record ever
    created, including those no campaign has targeted yet.
    """
    campaigns = list(
        Campaign.objects.order_by("-created_at", "-pk").values("pk", "name", "state", "started_at")
    )
    notices = _notice_counts(None)
    deliveries = _delivery_counts(None)
    rows = [_figures(c, notices.get(c["pk"], {}), deliveries.get(c["pk"], {})) for c in campaigns]
    sums = {name: sum(getattr(row, name) for row in rows) for name in COUNT_FIELDS}
    sums["created"] = Record.objects.count()
    total = CampaignFigures(
        campaign_id=None, name=_("Toutes les campagnes"), state="", started_at=None, **sums
    )
    return OverallDashboard(campaigns=rows, total=total, weeks=_weeks(None))


# --- Cohort imports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortImportProgress:
    """Where an import stands, for the admin page."""

    state: str
    state_label: str
    total_rows: int
    processed_rows: int
    created: int
    unchanged: int
    duplicates: int
    errors: int
    percent: int
    failure: str


def cohort_import_progress(*, import_id: int) -> CohortImportProgress:
    """The counters of an import, read afresh; raises ``CohortImport.DoesNotExist``."""
    ci = CohortImport.objects.get(pk=import_id)
    return CohortImportProgress(
        state=ci.state,
        state_label=str(ci.get_state_display()),
        total_rows=ci.total_rows,
        processed_rows=ci.processed_rows,
        created=ci.created_count,
        unchanged=ci.unchanged_count,
        duplicates=ci.duplicate_count,
        errors=ci.error_count,
        percent=ci.progress_percent,
        failure=ci.failure,
    )


def cohort_import_errors(*, import_id: int) -> QuerySet[CohortImportError]:
    """The reported lines of an import (errors and duplicates), in file order."""
    return CohortImportError.objects.filter(cohort_import_id=import_id).order_by("line")


# --- Letter batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchFile:
    content: bytes
    content_type: str
    filename: str


def letter_batch_file(*, batch_id: int, part: str) -> BatchFile | None:
    """The PDF (``part="pdf"``) or the manifest of a letter batch, decrypted; None for a
    batch purged or unknown, or another part."""
    batch = LetterBatch.objects.filter(pk=batch_id, purged_at__isnull=True).first()
    if batch is None or part not in {"pdf", "manifest"}:
        return None
    key = vault.unwrap(wrapped=bytes(batch.wrapped_key), key_id=batch.key_id, owner=batch.owner)
    name = batch.pdf_blob if part == "pdf" else batch.manifest_blob
    extension = "pdf" if part == "pdf" else "csv"
    return BatchFile(
        content=blob_get(name=name, data_key=key, aad=f"{batch.owner}:{part}"),
        content_type="application/pdf" if part == "pdf" else "text/csv; charset=utf-8",
        filename=f"courriers-{batch.campaign_id}-{batch.number}.{extension}",
    )
