"""Messaging with a minor: the guardians read and answer the minor's threads,
except one a professional kept from them, whose existence they never learn;
its notices go to the minor's own login only. At 18 the guardians lose them.

Zoé is 16 with her own login; Léa, her mother, is her legal guardian; bob
cares for Zoé."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent.policy import professional_record_access
from messaging import services
from messaging.models import Thread
from messpace.accounts.models import Professional, User
from records.models import Patient
from tests.factories import (
    CareRelationshipFactory,
    GuardianshipFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Login = Callable[[Client, User], Client]


@pytest.fixture
def zoe() -> Patient:
    today = dt.date.today()
    return PatientUserFactory(  # type: ignore[no-any-return]
        given_names="Zoé",
        birth_names="DURAND",
        birth_date=today.replace(year=today.year - 16) - dt.timedelta(days=30),
        user__email="zoe@exemple.fr",
    )


@pytest.fixture
def lea(zoe: Patient) -> User:
    mother = UserFactory(email="lea@exemple.fr", first_name="Léa", last_name="Durand")
    GuardianshipFactory(patient=zoe, guardian=mother)
    return mother  # type: ignore[no-any-return]


@pytest.fixture
def doctor(zoe: Patient) -> Professional:
    pro = ProfessionalFactory(user__email="dr@exemple.fr")
    CareRelationshipFactory(professional=pro, patient=zoe)
    return pro  # type: ignore[no-any-return]


def _start(doctor: Professional, zoe: Patient, subject: str, *, confidential: bool) -> Thread:
    assert doctor.user is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.thread_start(
            access=professional_record_access(doctor.user, zoe.pk),
            subject=subject,
            body="Bonjour Zoé.",
            confidential_from_guardians=confidential,
        )


def _acting(client: Client, patient: Patient) -> Client:
    assert client.post(reverse("records:act_for", args=[patient.pk])).status_code == 302
    return client


def test_the_guardian_reads_the_ordinary_thread_never_the_confidential_one(
    zoe: Patient, lea: User, doctor: Professional, login: Login
) -> None:
    ordinary = _start(doctor, zoe, "Vaccin HPV : rappel", confidential=False)
    secret = _start(doctor, zoe, "Contraception : suivi", confidential=True)
    assert zoe.user is not None
    mother = _acting(login(Client(), lea), zoe)
    own = login(Client(), zoe.user)

    inbox = mother.get(reverse("messaging:inbox"))
    assertContains(inbox, "Vaccin HPV : rappel")
    assertNotContains(inbox, "Contraception")
    assert mother.get(reverse("messaging:thread", args=[ordinary.pk])).status_code == 200
    assert mother.get(reverse("messaging:thread", args=[secret.pk])).status_code == 404
    assert (
        mother.post(
            reverse("messaging:thread", args=[secret.pk]), {"body": "Qui ?", "record": zoe.pk}
        ).status_code
        == 404
    )
    assertContains(own.get(reverse("messaging:inbox")), "Contraception : suivi")
    # The notices went to Zoé's own address, never to her mother's.
    assert {tuple(m.to) for m in mail.outbox} == {("zoe@exemple.fr",)}


def test_a_thread_cannot_be_kept_from_the_guardians_of_a_child_without_login(
    doctor: Professional, login: Login
) -> None:
    """Nobody could read it: the child has no login, the guardians may not."""
    child = PatientFactory(
        given_names="Tom",
        birth_date=dt.date.today().replace(day=1) - dt.timedelta(days=8 * 365),
        email="parent@exemple.fr",
    )
    CareRelationshipFactory(professional=doctor, patient=child)
    assert doctor.user is not None

    page = login(Client(), doctor.user).get(reverse("pro_messaging:start", args=[child.pk]))
    with pytest.raises(ValidationError, match="pas de compte personnel"):
        services.thread_start(
            access=professional_record_access(doctor.user, child.pk),
            subject="Suivi",
            body="Bonjour.",
            confidential_from_guardians=True,
        )

    assertNotContains(page, "Cacher cette conversation aux représentants légaux")
    assert not Thread.objects.exists() and not mail.outbox


def test_the_guardians_access_history_says_nothing_of_a_kept_thread(
    zoe: Patient, lea: User, doctor: Professional, login: Login
) -> None:
    """GIVEN a thread kept from Léa, which the doctor opened, answered and saw in
    the inbox WHEN Léa reads Zoé's access history THEN none of it shows, and the
    doctor is not among the people to filter by; Zoé sees it all."""
    assert doctor.user is not None and zoe.user is not None
    secret = _start(doctor, zoe, "Contraception : suivi", confidential=True)
    pro = login(Client(), doctor.user)
    pro.get(reverse("pro_messaging:thread", args=[secret.pk]))
    pro.post(reverse("pro_messaging:thread", args=[secret.pk]), {"body": "Un complément."})
    pro.get(reverse("pro_messaging:inbox"))
    mother = _acting(login(Client(), lea), zoe)

    history = mother.get(reverse("consent:history"))
    own = login(Client(), zoe.user).get(reverse("consent:history"))

    assert history.status_code == 200
    for hidden in ("Conversation de la messagerie", "Message de la messagerie"):
        assertNotContains(history, hidden)
    assertNotContains(history, doctor.display_name)
    from consent.policy import guardian_record_access
    from consent.selectors import access_history

    seen = access_history(access=guardian_record_access(lea, zoe.pk), filters={})
    assert not seen.filter(what__in=["thread", "threads", "message"]).exists()
    assertContains(own, "Conversation de la messagerie")
    assertContains(own, doctor.display_name)


def test_an_adult_has_no_guardian_to_keep_a_thread_from(doctor: Professional, login: Login) -> None:
    adult = PatientUserFactory()
    CareRelationshipFactory(professional=doctor, patient=adult)
    assert doctor.user is not None
    pro = login(Client(), doctor.user)

    page = pro.get(reverse("pro_messaging:start", args=[adult.pk]))
    with pytest.raises(ValidationError, match="majeur"):
        services.thread_start(
            access=professional_record_access(doctor.user, adult.pk),
            subject="x",
            body="y",
            confidential_from_guardians=True,
        )

    assertNotContains(page, "Cacher cette conversation aux représentants légaux")
    assert not Thread.objects.exists()


def test_the_start_page_offers_to_keep_a_minors_thread_from_the_guardians(
    zoe: Patient, doctor: Professional, login: Login
) -> None:
    assert doctor.user is not None
    page = login(Client(), doctor.user).get(reverse("pro_messaging:start", args=[zoe.pk]))

    assertContains(page, "Cacher cette conversation aux représentants légaux")
    assertContains(page, "Ce patient est mineur")


def test_at_18_the_guardians_lose_the_threads(
    zoe: Patient, lea: User, doctor: Professional, login: Login, time_machine: object
) -> None:
    thread = _start(doctor, zoe, "Vaccin HPV : rappel", confidential=False)
    mother = _acting(login(Client(), lea), zoe)
    assert mother.get(reverse("messaging:thread", args=[thread.pk])).status_code == 200

    time_machine.move_to(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=2 * 366))  # type: ignore[attr-defined]

    assert mother.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
