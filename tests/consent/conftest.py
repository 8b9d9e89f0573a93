"""Fixtures for the consent tests: professionals beyond alice's bob and charlie."""

from __future__ import annotations

import pytest

from messpace.accounts.models import Professional
from tests.factories import ProfessionalFactory


@pytest.fixture
def dave(db: None) -> Professional:
    """Another general practitioner, free to become alice's designated GP."""
    return ProfessionalFactory(user__first_name="Dave", user__last_name="Leroy")


@pytest.fixture
def pharmacist(db: None) -> Professional:
    return ProfessionalFactory(
        profession="pharmacien", user__first_name="Paula", user__last_name="Morel"
    )
