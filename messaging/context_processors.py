"""The unread badge of the main menu, for a patient: one query, made only when a
page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from messaging.selectors import unread_count


def messaging(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}
    return {"messages_unread": SimpleLazyObject(lambda: unread_count(user))}
