"""A care relationship a professional declares alone is never silent.

Charlie, a psychiatrist, types Alice's INS and birth date and ticks "the
patient consents": the relationship opens at once (the DMP allows
self-attested declarations), and Alice is told by email, with nothing about
health, not even Charlie's specialty. The link lets her end the relationship
and block Charlie in one step. The declaration and every access through it
show as "déclarée par le professionnel" in her access history and on her
privacy page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from consent import services
from consent.models import (
    CARE_DECLARATION_WHAT,
    AccessBasis,
    AccessLog,
    Block,
    CareRelationship,
    DesignatedGP,
    Share,
)
from consent.notifications import care_relationship_notify
from consent.policy import professional_record_access
from messpace.accounts.models import Professional
from records.models import Patient
from tests.factories import PatientFactory, PatientUserFactory, ProfessionalFactory, UserFactory


@pytest.fixture
def psychiatrist(db: None) -> Professional:
    return ProfessionalFactory(  # type: ignore[no-any-return]
        profession="specialiste",
        specialty="psychiatrie",
        user__first_name="Charlie",
        user__last_name="Petit",
    )


def _declare(client: Client, patient: Patient) -> Any:
    data = {"nir": patient.nir, "birth_date": patient.birth_date.isoformat(), "consent": "on"}
    return client.post(reverse("pro:care_relationship_declare"), data)


def test_the_patient_is_told_without_health_content_and_the_declaration_is_logged(
    client: Client,
    login: Any,
    alice: Patient,
    psychiatrist: Professional,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pro = login(client, psychiatrist.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _declare(pro, alice)

    assert response.status_code == 302
    relationship = CareRelationship.objects.get(patient=alice, professional=psychiatrist)
    assert relationship.declared_by_professional and relationship.notified_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    text = message.subject + message.body + str(message.alternatives[0][0])
    assert psychiatrist.display_name in message.body
    for health in ("psychiatr", "Psychiatr", psychiatrist.title, "spécialiste"):
        assert health not in text, health
    assert f"/espace/confidentialite/relations-de-soins/{relationship.pk}/refuser/" in message.body
    log = AccessLog.objects.get(patient=alice, what=CARE_DECLARATION_WHAT)
    assert (log.basis, log.action, log.object_id) == (
        AccessBasis.CARE_DECLARED,
        "write",
        relationship.pk,
    )
    # A second delivery of the task sends nothing more.
    assert not care_relationship_notify(relationship_id=relationship.pk)
    assert len(mail.outbox) == 1


def test_accesses_through_it_show_as_declared_by_the_professional(
    client: Client,
    login: Any,
    alice: Patient,
    alice_client: Client,
    psychiatrist: Professional,
) -> None:
    pro = login(Client(), psychiatrist.user)
    _declare(pro, alice)
    assert pro.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 200

    assert professional_record_access(psychiatrist.user, alice.pk).basis == "care_declared"
    history = alice_client.get(reverse("consent:history"))
    assertContains(history, "Relation de soins déclarée par le professionnel")
    assertContains(history, "Déclaration d’une relation de soins")
    privacy = alice_client.get(reverse("consent:privacy"))
    assertContains(privacy, "déclarée par le professionnel")
    relationship = CareRelationship.objects.get(patient=alice, professional=psychiatrist)
    assertContains(privacy, reverse("consent:care_refuse", args=[relationship.pk]))


def test_the_link_ends_the_relationship_and_blocks_the_professional_in_one_step(
    alice: Patient, alice_client: Client, psychiatrist: Professional, login: Any
) -> None:
    _declare(login(Client(), psychiatrist.user), alice)
    relationship = CareRelationship.objects.get(patient=alice, professional=psychiatrist)
    url = reverse("consent:care_refuse", args=[relationship.pk])

    confirm = alice_client.get(url)
    assertContains(confirm, psychiatrist.display_name)
    assertContains(confirm, "Mettre fin et bloquer")
    response = alice_client.post(url)

    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.ended_at is not None
    assert Block.objects.filter(patient=alice, professional=psychiatrist).exists()
    pro = login(Client(), psychiatrist.user)
    assert pro.get(reverse("pro:dashboard", args=[alice.pk])).status_code == 404
    # Declaring again is answered like an unknown patient, and opens nothing.
    again = _declare(pro, alice)
    assertContains(again, "Aucun dossier ne correspond à ces informations.")
    assert not CareRelationship.objects.filter(
        patient=alice, professional=psychiatrist, ended_at__isnull=True
    ).exists()


def test_the_designated_gp_cannot_be_blocked_from_the_link_and_nothing_changes(
    alice: Patient, alice_client: Client, psychiatrist: Professional, login: Any
) -> None:
    _declare(login(Client(), psychiatrist.user), alice)
    relationship = CareRelationship.objects.get(patient=alice, professional=psychiatrist)
    DesignatedGP.objects.create(patient=alice, professional=psychiatrist)

    response = alice_client.post(
        reverse("consent:care_refuse", args=[relationship.pk]), follow=True
    )

    assertContains(response, "changez de médecin traitant avant de le bloquer")
    relationship.refresh_from_db()
    assert relationship.ended_at is None
    assert not Block.objects.filter(patient=alice).exists()


def test_someone_elses_relationship_answers_404_and_changes_nothing(
    alice: Patient, psychiatrist: Professional, login: Any
) -> None:
    _declare(login(Client(), psychiatrist.user), alice)
    relationship = CareRelationship.objects.get(patient=alice, professional=psychiatrist)
    mallory = login(Client(), PatientUserFactory().user)

    url = reverse("consent:care_refuse", args=[relationship.pk])
    assert mallory.get(url).status_code == 404
    assert mallory.post(url).status_code == 404
    relationship.refresh_from_db()
    assert relationship.ended_at is None
    assert not Block.objects.exists() and not Share.objects.exists()


def test_a_relationship_ended_before_the_notice_left_sends_none(
    alice: Patient, psychiatrist: Professional, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        relationship = services.care_relationship_declare(
            professional=psychiatrist, patient=alice, declared_by=psychiatrist.user
        )
    CareRelationship.objects.filter(pk=relationship.pk).update(ended_at=relationship.started_at)
    for callback in queued:
        callback()

    assert mail.outbox == []


def test_a_childs_notice_goes_to_the_guardians_and_from_15_to_the_minor_too(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN Louis (4, no login) and Emma (16, her own login), each with two guardians
    WHEN a professional declares a care relationship with each
    THEN Louis's notice goes to both guardians; Emma's to them and to Emma."""

    from consent import services

    today = timezone.localdate()
    mother = UserFactory(email="camille@exemple.fr")
    father = UserFactory(email="julien@exemple.fr")
    louis = PatientFactory(birth_date=today - dt.timedelta(days=4 * 365), email="")
    emma = PatientUserFactory(
        birth_date=today - dt.timedelta(days=16 * 365), user__email="emma@exemple.fr"
    )
    for child in (louis, emma):
        for parent in (mother, father):
            services.guardianship_add(patient=child, guardian=parent)
    nurse = ProfessionalFactory(profession="infirmier")

    for child in (louis, emma):
        with django_capture_on_commit_callbacks(execute=True):
            services.care_relationship_declare(
                professional=nurse, patient=child, declared_by=nurse.user
            )

    sent = [
        sorted(message.to[0] for message in mail.outbox[:2]),
        sorted(m.to[0] for m in mail.outbox[2:]),
    ]
    assert sent == [
        ["camille@exemple.fr", "julien@exemple.fr"],
        ["camille@exemple.fr", "emma@exemple.fr", "julien@exemple.fr"],
    ]


def test_every_notice_task_goes_to_the_notify_queue() -> None:
    from messpace.celery import app

    app.loader.import_default_modules()
    notices = sorted(name for name in app.tasks if name.endswith("_notify"))
    assert "consent.tasks.care_relationship_notify" in notices
    for name in notices:
        assert app.amqp.router.route({}, name)["queue"].name == "notify", name
