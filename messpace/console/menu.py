"""The console's menu: apps register their pages; each person sees the items of
their roles, grouped by section, in the order registered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from messpace.console.roles import ConsoleRole, console_roles


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    roles: frozenset[ConsoleRole]
    section: str | Promise
    description: str | Promise = ""
    # Items and their sections show in this order (then in registration order).
    order: int = 50


_ITEMS: list[MenuItem] = []


def register(item: MenuItem) -> None:
    """Add ``item`` once (``ready`` may run twice in tests)."""
    if all(existing.url_name != item.url_name for existing in _ITEMS):
        _ITEMS.append(item)


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    url_name: str
    description: str


@dataclass(frozen=True)
class MenuSection:
    label: str
    entries: list[MenuEntry]


def menu_for(user: Any) -> list[MenuSection]:
    """The sections and entries ``user`` may open, in registration order."""
    roles = console_roles(user)
    sections: dict[str, list[MenuEntry]] = {}
    for item in sorted(_ITEMS, key=lambda item: item.order):
        if item.roles & roles:
            sections.setdefault(str(item.section), []).append(
                MenuEntry(
                    label=str(item.label),
                    url=reverse(item.url_name),
                    url_name=item.url_name,
                    description=str(item.description),
                )
            )
    return [MenuSection(label, entries) for label, entries in sections.items()]
