"""What a legal guardian grants never reaches what is kept confidential from the guardians.

Zoé is 16. Her GP, Dr Martin, prescribed a contraception and marked it
confidential from her parents (entry, its timeline event, and the
prescription document). Her father Paul, acting for her, then grants every
kind of access a guardian can: a share of the whole record, a share of the
treatments, a designated GP, a carer, and he is himself a doctor who shares
the record with himself. A professional declares a care relationship for
her. None of these bases shows the contraception, in any read path; the
bases Zoé set up herself, emergency access and the author do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from consent import services
from consent.models import AccessBasis, Share
from consent.policy import (
    RecordAccess,
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from documents.ingestion.types import DocumentType
from documents.models import Document
from documents.services import document_deposit, document_guardian_confidentiality_set
from messpace.accounts.models import Professional, User
from records.models import Patient, Treatment
from records.services import entry_create
from tests.documents.conftest import scanner_off  # noqa: F401
from tests.documents.test_documents import pdf_bytes
from tests.factories import PatientUserFactory, ProfessionalFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS)
SECRET = "Contraception orale (confidentielle)"


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def zoe(db: None) -> Patient:
    return PatientUserFactory(  # type: ignore[no-any-return]
        given_names="Zoé", birth_names="DURAND", birth_date=dt.date(2009, 11, 2)
    )


@pytest.fixture
def paul(db: None, zoe: Patient) -> User:
    """Zoé's father, her legal guardian, and a doctor himself."""
    father: User = ProfessionalFactory(
        profession="generaliste", user__first_name="Paul", user__last_name="Durand"
    ).user
    services.guardianship_add(patient=zoe, guardian=father)
    return father


@pytest.fixture
def dr_martin(db: None, zoe: Patient) -> Professional:
    """The doctor Zoé saw on her own, who kept the prescription from her parents."""
    doctor: Professional = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=own_record_access(zoe.user),  # type: ignore[arg-type]
        professional=doctor,
        sections=[],
        expires_at=None,
    )
    return doctor


@pytest.fixture
def secret(
    zoe: Patient,
    dr_martin: Professional,
    media: Any,
    request: pytest.FixtureRequest,
    django_capture_on_commit_callbacks: Any,
) -> dict[str, int]:
    """The contraception, as an entry and a prescription document (deposited and
    ingested for real), both kept from the guardians by Dr Martin."""
    request.getfixturevalue("scanner_off")
    access = professional_record_access(dr_martin.user, zoe.pk)
    entry = entry_create(access=access, model=Treatment, data={"medicine": SECRET, "dose": "1 cp"})
    services.entry_guardian_confidentiality_set(access=access, entry=entry, confidential=True)
    with django_capture_on_commit_callbacks(execute=True):
        deposit = document_deposit(
            access=access,
            content=pdf_bytes(SECRET),
            filename="ordonnance.pdf",
            declared_mime="application/pdf",
            doc_type=DocumentType.ORDONNANCE,
            title=SECRET,
            act_date=NOW.date(),
        )
    document = Document.objects.get(upload=deposit.upload)
    document_guardian_confidentiality_set(access=access, document=document, confidential=True)
    return {"entry": entry.pk, "document": document.pk}


def _sees_secret(access: RecordAccess, secret: dict[str, int]) -> dict[str, bool]:
    """The secret through every read path of the policy."""
    return {
        "entries": access.entries(Treatment).filter(pk=secret["entry"]).exists(),
        "timeline": access.timeline().filter(kind="treatment", source_id=secret["entry"]).exists(),
        "documents": access.documents().filter(pk=secret["document"]).exists(),
    }


NOTHING = {"entries": False, "timeline": False, "documents": False}
EVERYTHING = {"entries": True, "timeline": True, "documents": True}


def _guardian(paul: User, zoe: Patient) -> RecordAccess:
    return guardian_record_access(paul, zoe.pk)


def test_a_whole_record_share_a_guardian_grants_leaves_out_the_secret(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    """GIVEN Paul, acting for Zoé, shares her whole record with a doctor
    THEN that doctor sees her treatments, not the one kept from her parents."""
    doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=_guardian(paul, zoe), professional=doctor, sections=[], expires_at=None
    )

    access = professional_record_access(doctor.user, zoe.pk)

    assert access.basis == AccessBasis.SHARE
    assert _sees_secret(access, secret) == NOTHING
    assert access.entries(Treatment).count() == 0


def test_a_share_of_the_treatments_a_guardian_grants_leaves_out_the_secret(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=_guardian(paul, zoe),
        professional=doctor,
        sections=["treatment", "document"],
        expires_at=None,
    )

    assert _sees_secret(professional_record_access(doctor.user, zoe.pk), secret) == NOTHING


def test_a_guardian_who_is_a_professional_cannot_share_the_secret_with_himself(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    services.share_grant(
        access=_guardian(paul, zoe), professional=paul.professional, sections=[], expires_at=None
    )

    access = professional_record_access(paul, zoe.pk)

    assert access.basis == AccessBasis.SHARE
    assert _sees_secret(access, secret) == NOTHING


def test_a_gp_a_guardian_designates_does_not_see_the_secret_nor_the_guardian_doctor(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    """GIVEN Paul designates a GP for Zoé, then himself
    THEN neither sees what is kept from the guardians (the GP still sees hidden items)."""
    gp = ProfessionalFactory(profession="generaliste")
    services.designated_gp_set(access=_guardian(paul, zoe), professional=gp)
    access = professional_record_access(gp.user, zoe.pk)
    assert access.basis == AccessBasis.DESIGNATED_GP and access.sees_hidden
    assert _sees_secret(access, secret) == NOTHING

    services.designated_gp_set(access=_guardian(paul, zoe), professional=paul.professional)
    assert _sees_secret(professional_record_access(paul, zoe.pk), secret) == NOTHING


def test_a_carer_a_guardian_invites_does_not_see_the_secret(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    carer = UserFactory(email="tante@exemple.fr")
    _grant, token = services.carer_invite(
        access=_guardian(paul, zoe),
        email=carer.email,
        sections=["treatment", "document"],
        can_write=False,
        expires_at=NOW + dt.timedelta(days=30),
    )
    services.carer_accept(user=carer, token=token)

    assert _sees_secret(carer_record_access(carer, zoe.pk), secret) == NOTHING


def test_a_care_relationship_declared_for_the_minor_does_not_reach_the_secret(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    nurse = ProfessionalFactory(profession="generaliste")
    services.care_relationship_declare(professional=nurse, patient=zoe, declared_by=nurse.user)

    access = professional_record_access(nurse.user, zoe.pk)

    assert access.basis == AccessBasis.CARE_DECLARED
    assert _sees_secret(access, secret) == NOTHING


def test_what_the_minor_set_up_the_emergency_and_the_author_still_see_the_secret(
    zoe: Patient, paul: User, dr_martin: Professional, secret: dict[str, int]
) -> None:
    """GIVEN a GP Zoé designated herself, a share she granted, an emergency access
    THEN each sees the contraception, as does Dr Martin, who wrote it; Paul, as
    her guardian, does not."""
    own = own_record_access(zoe.user)  # type: ignore[arg-type]
    gp = ProfessionalFactory(profession="generaliste")
    services.designated_gp_set(access=own, professional=gp)
    friend_doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=own, professional=friend_doctor, sections=["treatment", "document"], expires_at=None
    )
    urgentiste = ProfessionalFactory(profession="urgentiste")
    emergency = services.emergency_access_open(
        user=urgentiste.user, nir=zoe.nir, birth_date=zoe.birth_date, reason="Malaise au lycée"
    )

    assert _sees_secret(professional_record_access(gp.user, zoe.pk), secret) == EVERYTHING
    assert (
        _sees_secret(professional_record_access(friend_doctor.user, zoe.pk), secret) == EVERYTHING
    )
    assert _sees_secret(emergency, secret) == EVERYTHING
    assert _sees_secret(professional_record_access(dr_martin.user, zoe.pk), secret) == EVERYTHING
    assert _sees_secret(_guardian(paul, zoe), secret) == NOTHING


def test_the_minor_sharing_one_section_does_not_open_the_secret_of_another(
    zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    """GIVEN Paul shared the whole record with a doctor and Zoé shared only her
    vaccinations with the same doctor THEN the treatment kept from the guardians
    stays out of reach: Zoé's basis covers vaccinations only."""
    doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=_guardian(paul, zoe), professional=doctor, sections=[], expires_at=None
    )
    # The minor's share replaces the guardian's for this professional.
    services.share_grant(
        access=own_record_access(zoe.user),  # type: ignore[arg-type]
        professional=doctor,
        sections=["vaccination"],
        expires_at=None,
    )
    assert _sees_secret(professional_record_access(doctor.user, zoe.pk), secret) == NOTHING

    services.share_grant(
        access=own_record_access(zoe.user),  # type: ignore[arg-type]
        professional=doctor,
        sections=["treatment"],
        expires_at=None,
    )
    seen = _sees_secret(professional_record_access(doctor.user, zoe.pk), secret)
    assert seen == {"entries": True, "timeline": True, "documents": False}


def test_the_professional_pages_leave_the_secret_out_too(
    client: Client, login: Any, zoe: Patient, paul: User, secret: dict[str, int]
) -> None:
    doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=_guardian(paul, zoe), professional=doctor, sections=[], expires_at=None
    )
    pro = login(client, doctor.user)

    pages = [
        reverse("pro:dashboard", args=[zoe.pk]),
        reverse("pro:timeline", args=[zoe.pk]),
        reverse("pro:section_list", args=[zoe.pk, "traitements"]),
        reverse("pro_documents:list", args=[zoe.pk]),
    ]
    for url in pages:
        response = pro.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    edit = reverse("pro:section_edit", args=[zoe.pk, "traitements", secret["entry"]])
    assert pro.get(edit).status_code == 404
    assert (
        pro.get(reverse("pro_documents:detail", args=[zoe.pk, secret["document"]])).status_code
        == 404
    )


def test_a_guardian_who_is_an_emergency_physician_does_not_see_the_secret(
    zoe: Patient, secret: dict[str, int]
) -> None:
    """GIVEN Zoé's mother, her legal guardian, is an emergency physician
    WHEN she breaks the glass on Zoé's record
    THEN she sees the record, not what is kept from the guardians: a guardian
    stays a guardian whatever the basis."""
    mother = ProfessionalFactory(profession="urgentiste", user__first_name="Anne").user
    services.guardianship_add(patient=zoe, guardian=mother)

    access = services.emergency_access_open(
        user=mother, nir=zoe.nir, birth_date=zoe.birth_date, reason="Chute dans l’escalier"
    )

    assert access.basis == AccessBasis.EMERGENCY
    assert _sees_secret(access, secret) == NOTHING


def test_at_18_the_secret_is_seen_by_the_usual_rules(
    zoe: Patient, paul: User, secret: dict[str, int], time_machine: Any
) -> None:
    """GIVEN a doctor holding a share Paul granted, and a care relationship declared
    WHEN Zoé turns 18 THEN the guardians are gone and both see the former secret:
    keeping items from the guardians does not outlive the guardianship."""
    doctor = ProfessionalFactory(profession="generaliste")
    services.share_grant(
        access=_guardian(paul, zoe), professional=doctor, sections=[], expires_at=None
    )
    nurse = ProfessionalFactory(profession="generaliste")
    services.care_relationship_declare(professional=nurse, patient=zoe, declared_by=nurse.user)
    assert _sees_secret(professional_record_access(doctor.user, zoe.pk), secret) == NOTHING

    time_machine.move_to(dt.datetime(2027, 11, 2, 9, 0, tzinfo=PARIS), tick=False)

    assert _sees_secret(professional_record_access(doctor.user, zoe.pk), secret) == EVERYTHING
    assert _sees_secret(professional_record_access(nurse.user, zoe.pk), secret) == EVERYTHING


def test_a_guardian_cannot_turn_the_minors_own_share_into_his_nor_revoke_it(
    zoe: Patient, paul: User, dr_martin: Professional, secret: dict[str, int]
) -> None:
    """GIVEN Dr Martin holds the share Zoé granted herself
    WHEN Paul, acting for her, shares the record with Dr Martin again, then revokes it
    THEN Zoé's share stays as she granted it, and so does what it reaches; the
    revocation is refused with the reason, nothing changed."""
    guardian = _guardian(paul, zoe)
    services.share_grant(access=guardian, professional=dr_martin, sections=[], expires_at=None)

    live = Share.objects.filter(patient=zoe, professional=dr_martin, revoked_at__isnull=True)
    assert list(live.values_list("section", "granted_by_guardian")) == [("", False)]
    with pytest.raises(ValidationError, match="lui seul peut le révoquer"):
        services.share_revoke(access=guardian, professional_id=dr_martin.pk)
    assert live.count() == 1
    assert _sees_secret(professional_record_access(dr_martin.user, zoe.pk), secret) == EVERYTHING
    # Zoé herself may revoke it.
    services.share_revoke(
        access=own_record_access(zoe.user),  # type: ignore[arg-type]
        professional_id=dr_martin.pk,
    )
    assert not live.exists()
