"""People: users, roles and the professional identity, with their database rules."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from messpace.accounts.models import Profession, Professional, Role, Specialty, User
from records.models import Patient
from tests.factories import ProfessionalFactory, UserFactory, make_rpps

pytestmark = pytest.mark.django_db


def test_specialist_without_specialty_cannot_be_saved() -> None:
    user = UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Professional.objects.create(user=user, rpps=make_rpps(), profession="specialiste")


def test_specialist_with_a_specialty_is_saved_and_titled_with_it() -> None:
    pro = ProfessionalFactory(
        profession=Profession.SPECIALIST,
        specialty=Specialty.CARDIOLOGY,
        user__first_name="Inès",
        user__last_name="Moreau",
    )

    assert pro.title == "Médecin spécialiste (Cardiologie)"
    assert pro.display_name == "Dr Inès Moreau"


def test_non_physician_is_not_called_doctor() -> None:
    pro = ProfessionalFactory(
        profession=Profession.PHARMACIST, user__first_name="Luc", user__last_name="Bernard"
    )

    assert pro.display_name == "Luc Bernard"
    assert pro.title == "Pharmacien"


@pytest.mark.parametrize("rpps", ["1234", "1000000000A"])
def test_database_refuses_an_rpps_that_is_not_eleven_digits(rpps: str) -> None:
    user = UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Professional.objects.create(user=user, rpps=rpps, profession="generaliste")


def test_rpps_is_unique() -> None:
    first = ProfessionalFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ProfessionalFactory(rpps=first.rpps)


def test_email_is_unique_whatever_its_case() -> None:
    UserFactory(email="dupont@exemple.fr")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Dupont@Exemple.fr")


def test_create_user_stores_the_email_in_lower_case() -> None:
    user = User.objects.create_user("Claire.Roux@Exemple.FR", "Mot-de-passe-tres-long-1")

    assert user.email == "claire.roux@exemple.fr"
    assert user.check_password("Mot-de-passe-tres-long-1")


def test_patient_role_and_no_mandatory_two_factor(alice: Patient) -> None:
    user = alice.user
    assert user is not None

    assert user.roles == [Role.PATIENT]
    assert not user.requires_two_factor


def test_nurse_who_is_also_a_patient_holds_both_roles(alice: Patient) -> None:
    assert alice.user is not None
    ProfessionalFactory(user=alice.user, profession=Profession.NURSE)
    user = User.objects.get(pk=alice.user.pk)

    assert user.roles == [Role.PATIENT, Role.PROFESSIONAL]
    assert user.requires_two_factor


@pytest.mark.parametrize(
    ("flags", "role"),
    [({"is_support_agent": True}, Role.AGENT), ({"is_staff": True}, Role.ADMIN)],
)
def test_agents_and_admins_must_use_two_factor(flags: dict[str, bool], role: Role) -> None:
    user = UserFactory(**flags)

    assert user.roles == [role]
    assert user.requires_two_factor


def test_professional_must_use_two_factor(charlie: Professional) -> None:
    assert charlie.user.requires_two_factor
