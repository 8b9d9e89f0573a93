"""Where a documents page lives for a given actor (patient, professional or carer space)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from consent.policy import RecordAccess


def document_reverse(access: RecordAccess, name: str, *args: Any) -> str:
    if access.acts_as_patient:
        return reverse(f"documents:{name}", args=args)
    if access.role == "carer":
        return reverse(f"carer_documents:{name}", args=(access.patient.pk, *args))
    return reverse(f"pro_documents:{name}", args=(access.patient.pk, *args))
