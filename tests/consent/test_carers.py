"""Carers (aidants): a patient invites a trusted person to some sections of the record,
read-only or read-write, until a date; every access is logged as the carer's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from consent import services
from consent.models import AccessBasis, AccessLog, CarerGrant
from consent.policy import carer_patients, carer_record_access, own_record_access
from messpace.accounts.models import User
from records.models import Allergy, AuthorKind, Condition, Patient
from tests.factories import PatientUserFactory, UserFactory
from tests.records.sample import post_data

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS)
Login = Callable[[Client, User], Client]


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def carol(db: None) -> User:
    """Alice's daughter, with a plain account (no record, not a professional)."""
    return UserFactory(email="carol@exemple.fr", first_name="Carol", last_name="Martin")


@pytest.fixture
def carol_client(carol: User, login: Login) -> Client:
    return login(Client(), carol)


def _invite(
    alice: Patient,
    *,
    sections: list[str] | None = None,
    can_write: bool = False,
    days: int = 30,
    email: str = "carol@exemple.fr",
) -> tuple[CarerGrant, str]:
    assert alice.user is not None
    return services.carer_invite(
        access=own_record_access(alice.user),
        email=email,
        sections=["allergy"] if sections is None else sections,
        can_write=can_write,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )


def _granted(alice: Patient, carol: User, **kwargs: Any) -> CarerGrant:
    _grant, token = _invite(alice, **kwargs)
    return services.carer_accept(user=carol, token=token)


def _url(name: str, alice: Patient, *args: Any) -> str:
    return reverse(f"carer:{name}", args=(alice.pk, *args))


# --- Invitation ---


def test_invite_form_sends_one_email_with_the_link_and_no_health_content(
    alice: Patient, alice_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    Condition.objects.create(patient=alice, label="Diabète de type 2", icd10_code="E11.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("consent:carer_invite"),
            {
                "carer-email": "carol@exemple.fr",
                "carer-sections": ["allergy", "condition"],
                "carer-mode": "read",
                "carer-until": "2026-04-30",
            },
        )
    assert response.status_code == 302
    grant = CarerGrant.objects.get(patient=alice)
    assert grant.sections == ["allergy", "condition"]
    assert not grant.can_write
    assert grant.carer is None
    assert grant.expires_at == dt.datetime(2026, 5, 1, tzinfo=PARIS)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@exemple.fr"]
    match = re.search(r"/aidant/invitation/([A-Za-z0-9_-]+)/", message.body)
    assert match is not None
    token = match[1]
    assert grant.token_hash == services.carer_token_hash(token)
    assert token not in grant.token_hash
    bodies = [message.body] + [str(c) for c, _mime in message.alternatives]  # type: ignore[attr-defined]
    for text in (message.subject, *bodies):
        assert "Diabète" not in text
        assert "E11.9" not in text
        assert "Allergies" not in text

    page = alice_client.get(reverse("consent:privacy"))
    assertContains(page, "Mes aidants")
    assertContains(page, "carol@exemple.fr")
    assertContains(page, "Invité")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sections": ["nope"]}, "Rubrique inconnue"),
        ({"days": -1}, "dans le futur"),
        ({"email": "alice@exemple.fr"}, "vous inviter vous-même"),
    ],
)
def test_invite_refusals_are_french(alice: Patient, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _invite(alice, **kwargs)
    assert message in str(exc.value)
    assert not CarerGrant.objects.exists()


# --- Acceptance ---


def test_accept_by_another_user_through_the_page(alice: Patient, carol_client: Client) -> None:
    grant, token = _invite(alice)
    url = reverse("carer:invitation", args=[token])
    page = carol_client.get(url)
    assertContains(page, "Accepter l’invitation")
    grant.refresh_from_db()
    assert grant.accepted_at is None  # a GET changes nothing

    response = carol_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == _url("dashboard", alice)
    grant.refresh_from_db()
    assert grant.carer is not None and grant.carer.email == "carol@exemple.fr"
    assert grant.accepted_at == NOW
    # Idempotent for the same person.
    assert carol_client.post(url).status_code == 302
    assert list(carer_patients(grant.carer)) == [alice]
    assert (
        "Personnes que j’aide" in carol_client.get(reverse("carer:patient_list")).content.decode()
    )


def test_wrong_or_used_token_is_refused_in_french(
    alice: Patient, carol: User, login: Login
) -> None:
    grant, token = _invite(alice)
    services.carer_accept(user=carol, token=token)
    dave = UserFactory(email="dave@exemple.fr")
    client = login(Client(), dave)

    for bad in ("pas-un-jeton", token):
        response = client.post(reverse("carer:invitation", args=[bad]))
        assert response.status_code == 200
        assertContains(response, "Cette invitation n’est pas valable")
    grant.refresh_from_db()
    assert grant.carer == carol


def test_a_patient_cannot_accept_their_own_invitation(alice: Patient) -> None:
    _grant, token = _invite(alice)
    assert alice.user is not None
    with pytest.raises(ValidationError, match="propre aidant"):
        services.carer_accept(user=alice.user, token=token)


# --- What the carer sees and does ---


def test_carer_sees_only_granted_sections_and_every_read_is_logged(
    alice: Patient, carol: User, carol_client: Client
) -> None:
    _granted(alice, carol, sections=["allergy"])
    Allergy.objects.create(patient=alice, substance="Pénicilline", hidden_from_professionals=True)
    Condition.objects.create(patient=alice, label="Diabète de type 2")

    assert carol_client.get(_url("dashboard", alice)).status_code == 200
    page = carol_client.get(_url("section_list", alice, "allergies"))
    assertContains(page, "Pénicilline")  # hidden from professionals only
    assert carol_client.get(_url("section_list", alice, "maladies")).status_code == 404
    timeline = carol_client.get(_url("timeline", alice))
    assert "Diabète" not in timeline.content.decode()

    logs = list(AccessLog.objects.filter(patient=alice, actor=carol).order_by("id"))
    assert [log.what for log in logs] == ["dashboard", "allergy", "timeline"]
    assert {(log.basis, log.role) for log in logs} == {(AccessBasis.CARER, "carer")}


def test_condition_scope_includes_mental_health(alice: Patient, carol: User) -> None:
    _granted(alice, carol, sections=["condition"])
    access = carer_record_access(carol, alice.pk)
    assert access.kinds == frozenset({"condition", "mental_health"})
    assert access.sees_hidden


def test_read_only_carer_cannot_add(alice: Patient, carol: User, carol_client: Client) -> None:
    _granted(alice, carol, can_write=False)
    response = carol_client.post(_url("section_add", alice, "allergies"), post_data("allergy"))
    assert response.status_code == 403
    assert not Allergy.objects.filter(patient=alice).exists()


def test_read_write_carer_adds_entries_as_themself(
    alice: Patient, carol: User, carol_client: Client
) -> None:
    _granted(alice, carol, can_write=True)
    page = carol_client.get(_url("section_add", alice, "allergies"))
    assert page.status_code == 200
    fields = post_data("allergy")
    response = carol_client.post(_url("section_add", alice, "allergies"), fields)
    assert response.status_code == 302
    entry = Allergy.objects.get(patient=alice)
    assert response["Location"] == _url("section_list", alice, "allergies") + f"?ajout={entry.pk}"
    notice = carol_client.get(response["Location"])
    assert "a été ajouté au dossier" in notice.content.decode()
    assert entry.author == carol
    assert entry.author_kind == AuthorKind.CARER
    assert AccessLog.objects.filter(
        patient=alice, actor=carol, action="write", basis=AccessBasis.CARER
    ).exists()

    # The carer may change what they or the patient entered, not a professional's entry.
    access = carer_record_access(carol, alice.pk)
    assert access.may_modify(entry)
    pro_entry = Allergy.objects.create(
        patient=alice, substance="Iode", author_kind=AuthorKind.PROFESSIONAL
    )
    assert not access.may_modify(pro_entry)
    assert (
        carol_client.get(_url("section_edit", alice, "allergies", pro_entry.pk)).status_code == 403
    )


# --- Ending the access ---


def test_revoke_ends_access_at_once(
    alice: Patient, alice_client: Client, carol: User, carol_client: Client
) -> None:
    grant = _granted(alice, carol)
    assert carol_client.get(_url("dashboard", alice)).status_code == 200

    confirm = alice_client.get(reverse("consent:carer_revoke", args=[grant.pk]))
    assertContains(confirm, "Retirer l’accès de cet aidant ?")
    response = alice_client.post(reverse("consent:carer_revoke", args=[grant.pk]))
    assert response.status_code == 302

    assert carol_client.get(_url("dashboard", alice)).status_code == 404
    assert carol_client.get(_url("section_list", alice, "allergies")).status_code == 404
    assert not carer_patients(carol).exists()


def test_expired_grant_gives_no_access(
    alice: Patient, carol: User, carol_client: Client, time_machine: Any
) -> None:
    _granted(alice, carol, days=2)
    assert carol_client.get(_url("dashboard", alice)).status_code == 200
    time_machine.move_to(NOW + dt.timedelta(days=2, seconds=1), tick=False)
    assert carol_client.get(_url("dashboard", alice)).status_code == 404
    with pytest.raises(Http404):
        carer_record_access(carol, alice.pk)


def test_another_patients_grant_cannot_be_revoked(
    alice: Patient, alice_client: Client, carol: User
) -> None:
    other = PatientUserFactory(user__email="zoe@exemple.fr")
    grant = _granted(other, carol)
    assert alice_client.get(reverse("consent:carer_revoke", args=[grant.pk])).status_code == 404
    assert alice_client.post(reverse("consent:carer_revoke", args=[grant.pk])).status_code == 404
    assert alice.user is not None
    with pytest.raises(Http404):
        services.carer_revoke(access=own_record_access(alice.user), grant_id=grant.pk)
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_carer_never_sees_the_patients_privacy_pages(
    alice: Patient, carol: User, carol_client: Client
) -> None:
    _granted(alice, carol, sections=["allergy", "condition"])
    for url in (reverse("consent:privacy"), reverse("consent:history")):
        assert carol_client.get(url).status_code == 404
    dashboard = carol_client.get(_url("dashboard", alice)).content.decode()
    assert reverse("consent:privacy") not in dashboard


def test_patient_may_edit_what_their_carer_entered(alice: Any) -> None:
    """GIVEN an entry a carer wrote in alice's record THEN alice (the patient) may edit it."""
    from consent.policy import own_record_access
    from records.models import Allergy

    assert alice.user is not None
    entry = Allergy.objects.create(patient=alice, substance="Latex", author_kind="carer")

    assert own_record_access(alice.user).may_modify(entry)
