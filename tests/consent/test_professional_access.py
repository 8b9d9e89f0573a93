"""The professional side of "who sees what": declaring a care relationship,
breaking the glass in an emergency, and the basis shown on the record.

alice is the patient, bob her GP through a care relationship, charlie a GP with
no link to her, and erin an emergency physician.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from consent import notifications
from consent.models import (
    AccessBasis,
    AccessLog,
    Block,
    CareRelationship,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Share,
)
from consent.tasks import emergency_access_notify
from messpace.accounts.models import Profession, Professional, User
from records.lifecycle.models import RecordState
from records.models import Condition, Patient
from tests.factories import PatientFactory, ProfessionalFactory, set_record_state

pytestmark = pytest.mark.django_db

NO_MATCH = "Aucun dossier ne correspond à ces informations."
PARIS = ZoneInfo("Europe/Paris")
REASON = "Patient inconscient amené par les pompiers après une chute"

Login = Callable[[Client, User], Client]


@pytest.fixture
def erin(db: None) -> Professional:
    return ProfessionalFactory(
        profession=Profession.EMERGENCY_PHYSICIAN,
        user__email="erin@exemple.fr",
        user__first_name="Erin",
        user__last_name="Leroy",
    )


@pytest.fixture
def erin_client(client: Client, erin: Professional, login: Login) -> Client:
    return login(client, erin.user)


def _identity(patient: Patient, **extra: Any) -> dict[str, Any]:
    return {"nir": patient.nir, "birth_date": patient.birth_date.isoformat(), **extra}


def _declare(client: Client, patient: Patient, **extra: Any) -> Any:
    data = _identity(patient, consent="on") | extra
    return client.post(reverse("pro:care_relationship_declare"), data)


def _break_glass(client: Client, patient: Patient, **extra: Any) -> Any:
    data = _identity(patient, reason=REASON, confirm="on") | extra
    return client.post(reverse("pro:emergency_access"), data)


def _dashboard(patient: Patient) -> str:
    return reverse("pro:dashboard", kwargs={"patient_id": patient.pk})


# --- Declaring a care relationship ---


def test_professional_declares_a_care_relationship_and_opens_the_record(
    alice: Patient, charlie: Professional, charlie_client: Client
) -> None:
    response = _declare(charlie_client, alice)

    assert response.status_code == 302
    assert response["Location"] == _dashboard(alice)
    relationship = CareRelationship.objects.get(professional=charlie, patient=alice)
    assert relationship.created_by == charlie.user
    assert relationship.ended_at is None
    page = charlie_client.get(_dashboard(alice))
    assert page.status_code == 200
    assert "Relation de soins enregistrée avec Alice MARTIN." in page.content.decode()


def test_declaration_accepts_an_ins_typed_with_spaces_and_a_french_date(
    alice: Patient, charlie: Professional, charlie_client: Client
) -> None:
    spaced = " ".join([alice.nir[:1], alice.nir[1:5], alice.nir[5:10], alice.nir[10:]])

    response = _declare(
        charlie_client, alice, nir=spaced, birth_date=f"{alice.birth_date:%d/%m/%Y}"
    )

    assert response.status_code == 302
    assert CareRelationship.objects.filter(professional=charlie, patient=alice).exists()


def test_declaring_twice_keeps_one_open_relationship(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    response = _declare(bob_client, alice)

    assert response.status_code == 302
    assert CareRelationship.objects.filter(professional=bob, patient=alice).count() == 1


def test_declaration_requires_the_patients_agreement(
    alice: Patient, charlie_client: Client
) -> None:
    response = _declare(charlie_client, alice, consent="")

    assert response.status_code == 200
    assert (
        "Confirmez que le patient a donné son accord pour continuer." in response.content.decode()
    )
    assert not CareRelationship.objects.filter(patient=alice).exists()


def test_invalid_ins_is_explained_in_french(alice: Patient, charlie_client: Client) -> None:
    response = _declare(charlie_client, alice, nir=alice.nir[:-2] + "00")

    assert "n’est pas valide : vérifiez les chiffres et la clé" in response.content.decode()
    assert not CareRelationship.objects.exists()


@pytest.mark.parametrize("case", ["unknown", "wrong_birth_date", "blocked", "closed_record"])
def test_declaration_answers_the_same_message_and_stores_nothing(
    case: str, alice: Patient, charlie: Professional, charlie_client: Client
) -> None:
    """GIVEN a patient charlie may not add, whatever the reason
    WHEN charlie declares a care relationship
    THEN the page says only that no record matches, and nothing is stored."""
    data: dict[str, Any] = {}
    if case == "unknown":
        stranger = PatientFactory.build()
        data = _identity(stranger)
    elif case == "wrong_birth_date":
        data = {"birth_date": (alice.birth_date - dt.timedelta(days=1)).isoformat()}
    elif case == "blocked":
        Block.objects.create(patient=alice, professional=charlie)
    else:
        set_record_state(alice, RecordState.CLOSED)

    response = _declare(charlie_client, alice, **data)

    assert response.status_code == 200
    assert NO_MATCH in response.content.decode()
    assert not CareRelationship.objects.exists()
    assert not AccessLog.objects.exists()


def test_declaration_page_is_a_404_for_patients(alice: Patient, alice_client: Client) -> None:
    assert alice_client.get(reverse("pro:care_relationship_declare")).status_code == 404
    assert _declare(alice_client, alice).status_code == 404


def test_patient_list_links_to_the_declaration_but_not_to_emergency_for_a_gp(
    charlie_client: Client,
) -> None:
    page = charlie_client.get(reverse("pro:patient_list")).content.decode()

    assert reverse("pro:care_relationship_declare") in page
    assert "Déclarer une relation de soins" in page
    assert reverse("pro:emergency_access") not in page


# --- Emergency access ---


def test_emergency_page_is_a_404_for_other_professions(
    alice: Patient, charlie_client: Client
) -> None:
    assert charlie_client.get(reverse("pro:emergency_access")).status_code == 404
    assert _break_glass(charlie_client, alice).status_code == 404
    assert not EmergencyAccess.objects.exists()


def test_emergency_physician_reaches_the_page_from_the_patient_list(erin_client: Client) -> None:
    page = erin_client.get(reverse("pro:patient_list")).content.decode()
    assert reverse("pro:emergency_access") in page

    form = erin_client.get(reverse("pro:emergency_access"))
    assert form.status_code == 200
    content = form.content.decode()
    assert "Accès en urgence" in content
    assert "le patient en est informé" in content


@time_machine.travel(dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS), tick=False)
def test_emergency_access_opens_the_record_logs_it_and_tells_the_patient_once(
    alice: Patient,
    erin: Professional,
    erin_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Condition.objects.create(patient=alice, label="Diabète de type 2", icd10_code="E11.9")

    with django_capture_on_commit_callbacks(execute=True):
        response = _break_glass(erin_client, alice)

    assert response.status_code == 302
    assert response["Location"] == _dashboard(alice)
    grant = EmergencyAccess.objects.get(patient=alice, professional=erin)
    assert grant.reason == REASON
    assert grant.expires_at == dt.datetime(2026, 3, 11, 14, 30, tzinfo=PARIS)
    log = AccessLog.objects.get(patient=alice, actor=erin.user)
    assert log.basis == AccessBasis.EMERGENCY

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert "consulté en urgence" in message.subject
    bodies = [message.body] + [str(content) for content, _mime in message.alternatives]  # type: ignore[attr-defined]
    for text in (message.subject, *bodies):
        assert "Diabète" not in text
        assert "E11.9" not in text
        assert REASON not in text
    assert "Erin Leroy" in message.body
    assert "11 mars 2026 à 14:30" in message.body

    # A second delivery of the task (a redelivered message) sends nothing more.
    emergency_access_notify.delay(grant.pk)
    assert len(mail.outbox) == 1


@time_machine.travel(dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS), tick=False)
def test_emergency_access_ends_after_24_hours(
    alice: Patient, erin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _break_glass(erin_client, alice)
    assert erin_client.get(_dashboard(alice)).status_code == 200

    with time_machine.travel(dt.datetime(2026, 3, 11, 14, 30, 1, tzinfo=PARIS), tick=False):
        assert erin_client.get(_dashboard(alice)).status_code == 404
        assert (
            erin_client.get(
                reverse("pro:section_list", kwargs={"patient_id": alice.pk, "slug": "maladies"})
            ).status_code
            == 404
        )


@pytest.mark.parametrize("case", ["unknown", "wrong_birth_date", "refused", "closed_record"])
def test_emergency_access_answers_the_same_message_and_stores_nothing(
    case: str,
    alice: Patient,
    erin_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """GIVEN a patient who is unknown, or refused emergency access in their settings
    WHEN an emergency physician breaks the glass
    THEN the page says only that no record matches: no access, no log, no email."""
    data: dict[str, Any] = {}
    if case == "unknown":
        data = _identity(PatientFactory.build())
    elif case == "wrong_birth_date":
        data = {"birth_date": (alice.birth_date + dt.timedelta(days=1)).isoformat()}
    elif case == "refused":
        ConsentSettings.objects.create(patient=alice, refuses_emergency_access=True)
    else:
        set_record_state(alice, RecordState.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        response = _break_glass(erin_client, alice, **data)

    assert response.status_code == 200
    assert NO_MATCH in response.content.decode()
    assert not EmergencyAccess.objects.exists()
    assert not AccessLog.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"reason": "Chute"}, "Décrivez le motif de l’urgence (10 caractères au moins)."),
        ({"reason": "   Chute     "}, "Décrivez le motif de l’urgence (10 caractères au moins)."),
        ({"confirm": ""}, "Confirmez la situation d’urgence pour continuer."),
    ],
)
def test_emergency_access_needs_a_reason_and_the_confirmation(
    extra: dict[str, str], message: str, alice: Patient, erin_client: Client
) -> None:
    response = _break_glass(erin_client, alice, **extra)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not EmergencyAccess.objects.exists()


def test_emergency_access_overrides_a_block(
    alice: Patient,
    erin: Professional,
    erin_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A block shuts out every basis but the emergency one (domain rule)."""
    Block.objects.create(patient=alice, professional=erin)

    with django_capture_on_commit_callbacks(execute=True):
        response = _break_glass(erin_client, alice)

    assert response.status_code == 302
    assert erin_client.get(_dashboard(alice)).status_code == 200


# --- The basis on the record header ---


def _grant(basis: str, patient: Patient, pro: Professional) -> None:
    if basis == "gp":
        DesignatedGP.objects.create(patient=patient, professional=pro)
    elif basis == "care":
        CareRelationship.objects.create(patient=patient, professional=pro)
    else:
        Share.objects.create(patient=patient, professional=pro, section="")


@pytest.mark.parametrize(
    ("basis", "label"),
    [
        ("gp", "Médecin traitant"),
        ("care", "Relation de soins"),
        ("share", "Partage accordé par le patient"),
    ],
)
def test_record_header_shows_the_professionals_basis(
    basis: str, label: str, alice: Patient, charlie: Professional, charlie_client: Client
) -> None:
    _grant(basis, alice, charlie)

    for url in (_dashboard(alice), reverse("pro:timeline", kwargs={"patient_id": alice.pk})):
        content = charlie_client.get(url).content.decode()
        assert f"Accès : {label}" in content
        assert 'id="emergency-notice"' not in content


@time_machine.travel(dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS), tick=False)
def test_record_header_warns_of_emergency_access_and_its_end(
    alice: Patient, erin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _break_glass(erin_client, alice)

    content = erin_client.get(_dashboard(alice)).content.decode()

    # The basis and its end said once, in the warning.
    assert "Accès : Accès en urgence" not in content
    assert 'id="emergency-notice"' in content
    assert content.count("Il prend fin le 11 mars 2026 à 14:30.") == 1
    assert content.count("Accès en urgence : tracé") == 1


def test_patient_sees_no_access_basis_on_their_own_record(alice_client: Client) -> None:
    content = alice_client.get(reverse("records:dashboard")).content.decode()

    assert "Accès :" not in content
    assert 'id="emergency-notice"' not in content


@time_machine.travel(dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS), tick=False)
def test_failed_mail_is_sent_by_the_retry_and_only_once(
    alice: Patient, erin: Professional, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an emergency access whose first notice fails at the mail server
    WHEN the task is retried, then delivered once more
    THEN the patient gets exactly one email."""
    grant = EmergencyAccess.objects.create(
        patient=alice,
        professional=erin,
        reason=REASON,
        expires_at=dt.datetime(2026, 3, 11, 14, 30, tzinfo=PARIS),
    )

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notifications.emergency_access_notify(grant_id=grant.pk)
    grant.refresh_from_db()
    assert grant.notified_at is None
    monkeypatch.undo()

    assert notifications.emergency_access_notify(grant_id=grant.pk) is True
    assert notifications.emergency_access_notify(grant_id=grant.pk) is False
    assert len(mail.outbox) == 1


def test_notice_for_a_vanished_grant_does_nothing(db: None) -> None:
    assert notifications.emergency_access_notify(grant_id=987654) is False
    assert mail.outbox == []


def test_record_lookups_are_rate_limited_per_professional(
    alice: Patient, charlie_client: Client, charlie: Professional, settings: Any
) -> None:
    """GIVEN a professional who already tried many identities this hour WHEN they
    then type a correct one THEN the lookup is refused and nothing is stored, so
    INS and birth dates cannot be guessed by brute force."""
    settings.MESSPACE_IDENTITY_LOOKUPS_PER_HOUR = 3
    for day in range(1, 4):
        response = _declare(charlie_client, alice, birth_date=f"1901-01-0{day}")
        assert "Aucun dossier ne correspond à ces informations." in response.content.decode()

    response = _declare(charlie_client, alice)

    assert "Trop de recherches de dossier en peu de temps" in response.content.decode()
    assert not CareRelationship.objects.filter(patient=alice, professional=charlie).exists()
