"""Reads of the patient's consent rows, filtered in SQL on the patient of a RecordAccess."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from consent.forms import DOCUMENTS_SCOPE
from consent.models import (
    EMERGENCY_WHAT,
    AccessLog,
    Block,
    CareRelationship,
    CarerGrant,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Share,
)
from consent.policy import RecordAccess
from documents.models import Document
from messaging.models import Thread
from records.models import SECTION_MODELS
from records.sections import SECTIONS


def designated_gp(access: RecordAccess) -> DesignatedGP | None:
    return (
        DesignatedGP.objects.select_related("professional__user")
        .filter(patient=access.patient)
        .first()
    )


def open_care_relationships(access: RecordAccess) -> QuerySet[CareRelationship]:
    return (
        CareRelationship.objects.select_related("professional__user")
        .filter(patient=access.patient, ended_at__isnull=True)
        .order_by("-started_at", "-pk")
    )


def live_shares(access: RecordAccess) -> QuerySet[Share]:
    """Shares still in force: not revoked and not expired."""
    now = timezone.now()
    return (
        Share.objects.select_related("professional__user")
        .filter(patient=access.patient, revoked_at__isnull=True)
        .exclude(expires_at__lte=now)
        .order_by("professional_id", "section")
    )


def blocks(access: RecordAccess) -> QuerySet[Block]:
    return (
        Block.objects.select_related("professional__user")
        .filter(patient=access.patient)
        .order_by("-created_at", "-pk")
    )


def shares_by_professional(access: RecordAccess) -> list[dict[str, Any]]:
    """One group per professional: whole record or the list of section titles, and expiry."""
    titles = {s.key: s.title for s in SECTIONS} | {DOCUMENTS_SCOPE[0]: DOCUMENTS_SCOPE[1]}
    groups = []
    for _pro_id, rows in groupby(live_shares(access), key=lambda s: s.professional_id):
        shares = list(rows)
        whole = any(s.section == "" for s in shares)
        groups.append(
            {
                "professional": shares[0].professional,
                "whole": whole,
                "sections": [] if whole else [titles.get(s.section, s.section) for s in shares],
                "expires_at": shares[0].expires_at,
                "created_at": shares[0].created_at,
                # Who granted it, for a minor's record: "guardian", "both" or "".
                "by_guardian": (
                    ("guardian" if all(s.granted_by_guardian for s in shares) else "both")
                    if any(s.granted_by_guardian for s in shares)
                    else ""
                ),
            }
        )
    return groups


def refuses_emergency(access: RecordAccess) -> bool:
    return ConsentSettings.objects.filter(
        patient=access.patient, refuses_emergency_access=True
    ).exists()


def history_actors(*, access: RecordAccess) -> QuerySet[Any, dict[str, Any]]:
    """Who appears in the history this person may read (the "Qui" filter), one row
    per person: a guardian's list leaves out who only touched what is kept from them."""
    return (
        access_history(access=access, filters={})
        .order_by()
        .values("actor_id")
        .annotate(label=Max("actor_label"))
        .order_by("label", "actor_id")
    )


def access_history(*, access: RecordAccess, filters: dict[str, Any]) -> QuerySet[AccessLog]:
    """The patient's access log, newest first, narrowed by the history form's filters.

    A guardian does not see the rows about items kept confidential from them:
    who read or wrote them would tell what they are.
    """
    qs = AccessLog.objects.filter(patient=access.patient)
    if not access.sees_guardian_confidential:
        qs = qs.exclude(_confidential_items(access))
    if filters.get("actor") is not None:
        qs = qs.filter(actor_id=filters["actor"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("basis"):
        qs = qs.filter(basis=filters["basis"])
    if filters.get("what"):
        qs = qs.filter(what=filters["what"])
    if filters.get("date_from"):
        qs = qs.filter(at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(at__date__lte=filters["date_to"])
    return qs


def history_rows(*, access: RecordAccess, logs: list[AccessLog]) -> list[tuple[AccessLog, str]]:
    """Each log row with what it names, in words; an emergency opening with its
    reason, read from the grant of this patient (one query for the page)."""
    from consent.forms import emergency_label, what_label

    grant_ids = [log.object_id for log in logs if log.what == EMERGENCY_WHAT and log.object_id]
    reasons = dict(
        EmergencyAccess.objects.filter(pk__in=grant_ids, patient=access.patient).values_list(
            "pk", "reason"
        )
    )
    return [
        (
            log,
            emergency_label(reasons.get(log.object_id or 0))
            if log.what == EMERGENCY_WHAT
            else what_label(log.what),
        )
        for log in logs
    ]


def _confidential_items(access: RecordAccess) -> Q:
    """Log rows naming an entry or a document kept confidential from the guardians."""
    condition = Q(
        what="document",
        object_id__in=Document.objects.filter(
            patient=access.patient, confidential_from_guardians=True
        ).values("pk"),
    )
    for section, model in SECTION_MODELS.items():
        condition |= Q(
            what=section,
            object_id__in=model.objects.filter(
                patient=access.patient, confidential_from_guardians=True
            ).values("pk"),
        )
    # A thread kept from the guardians, its messages, and the inboxes that listed it.
    condition |= Q(
        what__in=["thread", "message"],
        object_id__in=Thread.objects.filter(
            patient=access.patient, confidential_from_guardians=True
        ).values("pk"),
    )
    return condition


def carer_grants(access: RecordAccess) -> QuerySet[CarerGrant]:
    """The patient's carer grants not revoked (invited, active or expired), newest first."""
    return (
        CarerGrant.objects.select_related("carer")
        .filter(patient=access.patient, revoked_at__isnull=True)
        .order_by("-created_at", "-pk")
    )


def carer_grant_rows(access: RecordAccess) -> list[dict[str, Any]]:
    """Grants with their status and section titles, for the privacy page."""
    titles = {s.key: s.title for s in SECTIONS} | {DOCUMENTS_SCOPE[0]: DOCUMENTS_SCOPE[1]}
    return [
        {
            "grant": grant,
            "status": grant.status,
            "sections": [titles[key] for key in grant.sections if key in titles],
        }
        for grant in carer_grants(access)
    ]
