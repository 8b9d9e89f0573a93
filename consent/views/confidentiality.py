"""The "confidential from the guardians" action, shared by the pages of entries and
documents: run the change, then tell the user how it went."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


def apply_confidentiality(
    request: HttpRequest, change: Callable[[], object], title: str, confidential: bool
) -> None:
    """Run a "confidential from the guardians" change and tell the user how it went
    (shared by entries and documents)."""
    try:
        change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if confidential:
            message = _(
                "« %(entry)s » est désormais confidentiel vis-à-vis des représentants légaux."
            )
        else:
            message = _("« %(entry)s » n’est plus confidentiel vis-à-vis des représentants légaux.")
        messages.success(request, message % {"entry": title})
