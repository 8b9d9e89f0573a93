"""Reads of documents, always through the actor's ``RecordAccess`` (filtered in SQL)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from consent.policy import RecordAccess
from documents.models import Document, Upload, UploadState


def document_list(*, access: RecordAccess, filters: dict[str, Any]) -> QuerySet[Document]:
    """Current versions the actor may see, latest act first, with the list's filters."""
    qs = access.documents().filter(is_current=True)
    if filters.get("doc_type"):
        qs = qs.filter(doc_type=filters["doc_type"])
    if filters.get("date_from"):
        qs = qs.filter(act_date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(act_date__lte=filters["date_to"])
    if filters.get("author"):
        qs = qs.filter(author_label__icontains=filters["author"])
    return qs.order_by("-act_date", "-created_at", "-pk")


# What a short list of documents shows (the dashboard's recent documents): not
# the blind index, the wrapped keys or the notes, which can be long.
SUMMARY_FIELDS = ("pk", "title", "doc_type", "act_date", "author_label", "version")


def documents_recent(*, access: RecordAccess, limit: int = 5) -> list[Document]:
    """The ``limit`` latest current versions the actor may see, in the list's order
    (latest act first): one query, whatever the size of the record."""
    return list(document_list(access=access, filters={}).only(*SUMMARY_FIELDS)[:limit])


def document_versions(*, access: RecordAccess, document: Document) -> QuerySet[Document]:
    """Every version of a document the actor may see, newest first."""
    return access.documents().filter(series=document.series).order_by("-version")


def pending_uploads(*, access: RecordAccess) -> QuerySet[Upload]:
    """The actor's own deposits to this record not (yet) accepted: waiting or in
    quarantine, with the reason. Nobody sees another depositor's pending uploads."""
    return Upload.objects.filter(
        patient=access.patient,
        depositor=access.actor,
        state__in=[UploadState.RECEIVED, UploadState.PROCESSING, UploadState.QUARANTINED],
    ).order_by("-created_at")[:20]
