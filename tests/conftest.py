"""Shared fixtures. The named people follow the house style:

- alice: a patient with a login and an active record;
- bob: alice's general practitioner (open care relationship);
- charlie: a general practitioner with no link to alice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from messpace.accounts.models import Professional, User
from records.models import Patient
from tests.factories import CareRelationshipFactory, PatientUserFactory, ProfessionalFactory


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts in the site's language.

    A request through LocaleMiddleware activates its language for the rest of
    the thread; without this, a test that switched to English would leak it.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """The storage of this test alone: blobs go to a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


@pytest.fixture
def alice(db: None) -> Patient:
    return PatientUserFactory(
        given_names="Alice Marie", birth_names="MARTIN", user__email="alice@exemple.fr"
    )


@pytest.fixture
def bob(db: None, alice: Patient) -> Professional:
    pro = ProfessionalFactory(
        user__email="bob@exemple.fr", user__first_name="Bob", user__last_name="Durand"
    )
    CareRelationshipFactory(professional=pro, patient=alice)
    return pro


@pytest.fixture
def charlie(db: None) -> Professional:
    return ProfessionalFactory(
        user__email="charlie@exemple.fr", user__first_name="Charlie", user__last_name="Petit"
    )


def _verified_login(client: Client, user: User) -> Client:
    """Log in as ``user`` with the second factor satisfied (as after a valid code)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.requires_two_factor:
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login() -> Callable[[Client, User], Client]:
    return _verified_login


@pytest.fixture
def alice_client(client: Client, alice: Patient) -> Client:
    assert alice.user is not None
    return _verified_login(client, alice.user)


@pytest.fixture
def bob_client(client: Client, bob: Professional) -> Client:
    return _verified_login(client, bob.user)


@pytest.fixture
def charlie_client(client: Client, charlie: Professional) -> Client:
    return _verified_login(client, charlie.user)


Refuse = Callable[..., Callable[[], None]]


@pytest.fixture
def database_refuses(db: None) -> Iterator[Refuse]:
    """Make PostgreSQL itself refuse some writes: a real failure in the middle of a
    transaction (a full disk, a lost connection), without touching our code.

    ``refuse(table, when="INSERT", condition="true")`` installs a row trigger on
    ``table`` raising for the rows where ``condition`` holds (it may name ``NEW``
    or ``OLD``), and returns a function lifting it. Anything left is lifted at
    the end of the test.
    """
    installed: dict[str, str] = {}

    def lift(name: str) -> None:
        table = installed.pop(name, None)
        if table is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")

    def refuse(table: str, *, when: str = "INSERT", condition: str = "true") -> Callable[[], None]:
        name = f"test_refuses_{table}_{len(installed)}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {condition} THEN RAISE EXCEPTION 'refused by the test on %', TG_TABLE_NAME; "
                "END IF; RETURN COALESCE(NEW, OLD); END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        installed[name] = table
        return lambda: lift(name)

    yield refuse
    for name in list(installed):
        lift(name)
