"""The public page answering an information notice: opposition or early activation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains

from consent.optout.models import Notice, NoticeDelivery
from messpace.accounts.models import User
from records.lifecycle.models import Record, RecordState
from records.models import Patient
from tests.factories import CampaignFactory, PatientFactory, UserFactory

GENERIC = "ne correspondent à aucun avis en attente"


@pytest.fixture(autouse=True)
def _media(media: Path) -> None:
    """Blobs (letter batches) in this test's own folder."""


def _notified(**kwargs: Any) -> tuple[Patient, str]:
    """A person notified by email; returns them and the code their email carried."""
    from consent.optout.services import campaigns as campaign_services

    patient = PatientFactory(record_state=RecordState.CREATED, **kwargs)
    campaign = CampaignFactory(name="C")
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaign_services.campaign_start(campaign=campaign)
    match = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", mail.outbox[0].body)
    assert match is not None
    return patient, match.group(0)


_ADDRESSES = iter(range(1, 60000))


def visitor() -> Client:
    """A client from an address of its own: the throttle counts per address."""
    n = next(_ADDRESSES)
    return Client(REMOTE_ADDR=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")


def _answer(client: Client, code_value: str, patient: Patient, **extra: str) -> Any:
    data = {
        "code": code_value,
        "birth_date": patient.birth_date.strftime("%d/%m/%Y"),
        "choice": "oppose",
    }
    data.update(extra)
    return client.post(reverse("notice_answer"), data)


@pytest.mark.django_db
def test_opposition_keeps_the_record_closed_and_erases_contact_details() -> None:
    patient, code = _notified(email="oppose@exemple.fr", phone="+33612345678")

    response = _answer(visitor(), code.lower().replace("-", " "), patient)

    assertContains(response, "Opposition enregistrée")
    record = Record.objects.get(patient=patient)
    assert record.state == RecordState.OPPOSED
    patient.refresh_from_db()
    assert (patient.email, patient.phone, patient.address_line1) == ("", "", "")
    assert patient.nir and patient.birth_names  # what honours the opposition stays
    assert NoticeDelivery.objects.get(notice__record=record).email == ""
    # The same code cannot be used again, and says nothing more.
    again = _answer(visitor(), code, patient)
    assertContains(again, GENERIC)


@pytest.mark.django_db
def test_early_activation_opens_the_record_and_creates_the_login() -> None:
    patient, code = _notified(email="tot@exemple.fr")

    response = _answer(
        visitor(),
        code,
        patient,
        choice="activate",
        email="Tot@Exemple.fr",
        password1="Un-mot-de-passe-solide-2026",
        password2="Un-mot-de-passe-solide-2026",
    )

    assert response.status_code == 302 and response.url == reverse("accounts:login")
    user = User.objects.get(email="tot@exemple.fr")
    assert user.check_password("Un-mot-de-passe-solide-2026")
    assert Record.objects.get(patient=patient).state == RecordState.ACTIVE
    assert Patient.objects.get(pk=patient.pk).user == user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"birth_date": "01/01/1900"}, GENERIC),
        ({"code": "ABCD-EFGH-JKMN"}, GENERIC),
        ({"code": "<script>"}, "12 lettres et chiffres"),
        ({"choice": "activate", "email": "", "password1": ""}, "Indiquez l’adresse"),
        (
            {
                "choice": "activate",
                "email": "x@exemple.fr",
                "password1": "court",
                "password2": "court",
            },
            "trop court",
        ),
    ],
)
def test_bad_answers_change_nothing(change: dict[str, str], message: str) -> None:
    patient, code = _notified(email="rien@exemple.fr")

    response = _answer(visitor(), code, patient, **change)

    assertContains(response, message)
    assert Record.objects.get(patient=patient).state == RecordState.NOTIFIED
    assert Patient.objects.get(pk=patient.pk).email == "rien@exemple.fr"
    assert not User.objects.filter(email="x@exemple.fr").exists()


@pytest.mark.django_db
def test_guessing_is_throttled_and_unknown_codes_look_like_wrong_dates(settings: Any) -> None:
    patient, code = _notified(email="devine@exemple.fr")
    settings.MESSPACE_NOTICE_ATTEMPTS_PER_HOUR = 3
    client = visitor()

    answers = [_answer(client, f"ABCD-EFGH-JK{n + 2}{n + 2}", patient) for n in range(3)]
    blocked = _answer(client, code, patient)  # the right code, too late

    assert all(GENERIC in a.content.decode() for a in answers)
    assertContains(blocked, "Trop de tentatives")
    assert Record.objects.get(patient=patient).state == RecordState.NOTIFIED


@pytest.mark.django_db
def test_a_minors_record_is_not_activated_online() -> None:
    import datetime as dt

    mother = PatientFactory(email="maman@exemple.fr")
    from consent.optout.models import GuardianToInform

    child = PatientFactory(
        record_state=RecordState.CREATED, birth_date=dt.date(2018, 1, 1), email=""
    )
    GuardianToInform.objects.create(patient=child, guardian_nir=mother.nir)
    from consent.optout.services import campaigns as campaign_services

    with TestCase.captureOnCommitCallbacks(execute=True):
        campaign_services.campaign_start(campaign=CampaignFactory(name="C"))
    code = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", mail.outbox[0].body).group(0)  # type: ignore[union-attr]

    refused = _answer(
        visitor(),
        code,
        child,
        choice="activate",
        email="enfant@exemple.fr",
        password1="Un-mot-de-passe-solide-2026",
        password2="Un-mot-de-passe-solide-2026",
    )
    opposed = _answer(visitor(), code, child)

    assertContains(refused, "service d’assistance")
    assertContains(opposed, "Opposition enregistrée")
    assert Notice.objects.get(record__patient=child).record.state == RecordState.OPPOSED


# --- Support agents, for a caller ---


@pytest.mark.django_db
def test_agent_records_an_opposition_for_a_caller_logged_in_the_history(login: Any) -> None:
    from consent.models import AccessLog

    patient, _code = _notified(email="appel@exemple.fr")
    agent = UserFactory(is_support_agent=True, first_name="Nadia", last_name="Rousseau")
    client = login(visitor(), agent)

    response = client.post(
        reverse("support_caller_notice"),
        {
            "nir": patient.nir,
            "birth_date": patient.birth_date.isoformat(),
            "choice": "oppose",
            "identity_checked": "on",
        },
    )

    assert response.status_code == 302
    assert Record.objects.get(patient=patient).state == RecordState.OPPOSED
    log = AccessLog.objects.get(patient=patient)
    assert (log.actor, log.basis, log.what) == (agent, "support", "opposition")


@pytest.mark.django_db
def test_agent_must_check_identity_and_gets_one_answer_for_a_miss(login: Any) -> None:
    patient, _code = _notified(email="appel2@exemple.fr")
    client = login(visitor(), UserFactory(is_support_agent=True))
    url = reverse("support_caller_notice")
    base = {"nir": patient.nir, "birth_date": patient.birth_date.isoformat(), "choice": "activate"}

    unchecked = client.post(url, base)
    wrong_date = client.post(url, {**base, "birth_date": "1901-01-01", "identity_checked": "on"})

    assertContains(unchecked, "Vérifiez l’identité")
    assertContains(wrong_date, "Aucun avis en attente")
    assert Record.objects.get(patient=patient).state == RecordState.NOTIFIED


@pytest.mark.django_db
def test_only_support_agents_reach_the_caller_page(login: Any) -> None:
    patient, _code = _notified(email="appel3@exemple.fr")
    staff = UserFactory(is_staff=True)
    for user in (UserFactory(), staff):
        client = login(visitor(), user)
        assert client.get(reverse("support_caller_notice")).status_code == 404
    assert Record.objects.get(patient=patient).state == RecordState.NOTIFIED
    agent = login(visitor(), UserFactory(is_support_agent=True))
    assert agent.get(reverse("support_caller_notice")).status_code == 200
