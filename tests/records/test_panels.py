"""The dashboard panel registry: other apps' cards, without records importing them."""

from __future__ import annotations

from typing import Any

import pytest

from records import panels
from records.panels import DashboardPanel, PanelRegistration


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> list[PanelRegistration]:
    """An empty registry for this test (the apps' own registrations set aside)."""
    empty: list[PanelRegistration] = []
    monkeypatch.setattr(panels, "_PANELS", empty)
    return empty


def _provider(name: str) -> Any:
    return lambda access: DashboardPanel(template_name=f"{name}.html", context={"of": access})


def test_panels_come_in_order_and_a_provider_with_nothing_is_left_out(
    registry: list[PanelRegistration],
) -> None:
    panels.register(PanelRegistration(key="b", provider=_provider("b"), order=60))
    panels.register(PanelRegistration(key="a", provider=_provider("a"), order=10))
    panels.register(PanelRegistration(key="none", provider=lambda access: None))

    shown = panels.dashboard_panels(access="access", clinical=False)  # type: ignore[arg-type]

    assert [p.template_name for p in shown] == ["a.html", "b.html"]
    assert shown[0].context == {"of": "access"}


def test_a_clinical_panel_shows_in_the_clinical_summary_only(
    registry: list[PanelRegistration],
) -> None:
    panels.register(PanelRegistration(key="c", provider=_provider("c"), clinical_only=True))

    assert panels.dashboard_panels(access=None, clinical=False) == []  # type: ignore[arg-type]
    assert len(panels.dashboard_panels(access=None, clinical=True)) == 1  # type: ignore[arg-type]


def test_registering_twice_keeps_one(registry: list[PanelRegistration]) -> None:
    for _ in range(2):
        panels.register(PanelRegistration(key="a", provider=_provider("a")))

    assert len(registry) == 1


def test_the_documents_app_registers_its_card_for_the_clinical_summary() -> None:
    (registration,) = [r for r in panels._PANELS if r.key == "recent_documents"]
    assert registration.clinical_only
