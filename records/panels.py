"""Panels other apps add to a record's dashboard, without records knowing them.

``records`` sits below the apps that build on it (documents, messaging, agenda):
it may not import them. An app that has something to show on the dashboard
registers a provider from its ``AppConfig.ready``; the dashboard asks every
provider, in order, with the viewer's ``RecordAccess``, and includes the
template each one returns. A provider reads through that access (the consent
policy, filtered in SQL), costs a fixed number of queries whatever the size of
the record, and returns ``None`` when it has nothing this viewer may see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consent.policy import RecordAccess


@dataclass(frozen=True)
class DashboardPanel:
    """What a provider returns: the template to include, which finds the
    dashboard's context (``access``, ``clinical``…) and its own as ``panel.context``."""

    template_name: str
    context: Mapping[str, Any] = field(default_factory=dict)


PanelProvider = Callable[["RecordAccess"], "DashboardPanel | None"]


@dataclass(frozen=True)
class PanelRegistration:
    key: str
    provider: PanelProvider
    # Only in the professional's clinical summary (not the patient's or a carer's view).
    clinical_only: bool = False
    # Panels show in this order (then in registration order).
    order: int = 50


_PANELS: list[PanelRegistration] = []


def register(registration: PanelRegistration) -> None:
    """Add ``registration`` once (``ready`` may run twice in tests)."""
    if all(existing.key != registration.key for existing in _PANELS):
        _PANELS.append(registration)


def dashboard_panels(*, access: RecordAccess, clinical: bool) -> list[DashboardPanel]:
    """The panels of this viewer's dashboard, in order; providers with nothing to
    show for them are left out."""
    panels = []
    for registration in sorted(_PANELS, key=lambda r: r.order):
        if registration.clinical_only and not clinical:
            continue
        panel = registration.provider(access)
        if panel is not None:
            panels.append(panel)
    return panels
