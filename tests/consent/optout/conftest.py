"""Fixtures for the opt-out tests: the same frozen clock as the record tests, an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from messpace.accounts.models import User
from tests.factories import UserFactory
from tests.records.conftest import NOW


@pytest.fixture(autouse=True)
def now(time_machine: Any) -> dt.datetime:
    """Freeze the clock at ``NOW`` (Paris time) unless a test moves it."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def admin_user(db: None) -> User:
    """Diane, an admin of the console (staff, not a technical superuser): she
    imports cohorts and runs campaigns."""
    return UserFactory(
        email="admin@exemple.fr", first_name="Diane", last_name="Admin", is_staff=True
    )
