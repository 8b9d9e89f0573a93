"""Helpers for the tests of the patient's privacy pages (``test_privacy_*.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from consent.policy import own_record_access
from messpace.accounts.models import User
from records import services as record_services
from records.models import Condition, Patient

PRIVACY = "/espace/confidentialite/"
HISTORY = "/espace/confidentialite/historique/"
UNKNOWN_RPPS = "10000000009"  # valid Luhn key, nobody has it
Login = Callable[[Client, User], Client]


def make_condition(patient: Patient, label: str = "Asthme") -> Condition:
    assert patient.user is not None
    return record_services.entry_create(
        access=own_record_access(patient.user), model=Condition, data={"label": label}
    )


def hide_url(entry: Condition, slug: str = "maladies") -> str:
    return reverse("consent:entry_visibility", args=[slug, entry.pk])


def client_for(login: Login, user: User) -> Client:
    return login(Client(), user)


def assert_unknown_rpps_refused(response: Any) -> None:
    assert response.status_code == 200
    assertContains(response, "Aucun professionnel ne correspond à ce numéro RPPS.")
