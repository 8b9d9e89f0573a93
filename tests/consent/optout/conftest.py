"""Fixtures for the opt-out tests: the same frozen clock as the record tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.records.conftest import NOW


@pytest.fixture(autouse=True)
def now(time_machine: Any) -> dt.datetime:
    """Freeze the clock at ``NOW`` (Paris time) unless a test moves it."""
    time_machine.move_to(NOW, tick=False)
    return NOW
