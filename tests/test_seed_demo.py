"""``manage.py seed_demo``: the data a newcomer sees after ``make demo``.

The command runs twice in a module-scoped transaction (it takes a few seconds),
rolled back when the module ends; each test then reads that state.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import models, transaction
from django.db.models import Count
from django.http import Http404
from django.test import override_settings
from django.urls import reverse
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from pytest_django import DjangoDbBlocker

from consent.models import (
    CARE_DECLARATION_WHAT,
    AccessBasis,
    AccessLog,
    Block,
    CareRelationship,
    CarerGrant,
    DesignatedGP,
    Share,
)
from consent.policy import (
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from consent.services import block_add, carer_revoke
from documents.models import Document, Upload, UploadState
from documents.services import upload_process
from messpace.accounts.models import Profession, Professional, User
from messpace.directory.models import DirectoryImport, DirectoryImportState, Listing
from messpace.directory.selectors import listings_search
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.management.demo.base import ACCOUNTS, BACKUP_CODES, DEMO_PASSWORD, PAT_TROIS_INS
from records.management.demo.campaign import CAMPAIGN_NAME, PEOPLE
from records.management.demo.directory import SAMPLE_EXTRACT
from records.models import (
    SECTION_MODELS,
    Condition,
    Habit,
    Measure,
    Patient,
    TimelineEvent,
    Treatment,
    Vaccination,
)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo")]

README = Path(__file__).resolve().parent.parent / "README.md"
COUNTED: tuple[type[models.Model], ...] = (
    User,
    Professional,
    Patient,
    Record,
    RecordTransition,
    CareRelationship,
    DesignatedGP,
    Share,
    AccessLog,
    TimelineEvent,
    StaticDevice,
    StaticToken,
    DirectoryImport,
    Listing,
    *SECTION_MODELS.values(),
)


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in COUNTED}


@dataclass(frozen=True)
class Seeded:
    first_output: str
    second_output: str
    after_first: dict[str, int]
    after_second: dict[str, int]


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Seeded]:
    with django_db_blocker.unblock(), transaction.atomic():
        first = _seed()
        after_first = _counts()
        second = _seed()
        yield Seeded(first, second, after_first, _counts())
        transaction.set_rollback(True)


def _user(key: str) -> User:
    email = next(a.email for a in ACCOUNTS if a.key == key)
    return User.objects.get(email=email)


def test_second_run_adds_nothing(seeded: Seeded) -> None:
    assert seeded.after_first["records.Measure"] > 500
    assert seeded.after_second == seeded.after_first
    assert "Données déjà présentes" in seeded.second_output


def test_output_lists_every_account_with_the_shared_password(seeded: Seeded) -> None:
    for output in (seeded.first_output, seeded.second_output):
        assert "http://127.0.0.1:8000/connexion/" in output
        assert DEMO_PASSWORD in output
        for account in ACCOUNTS:
            assert account.email in output
        for code in BACKUP_CODES:
            assert code in output


def test_cda_patient_has_the_sample_ins_and_an_active_record(seeded: Seeded) -> None:
    patient = Patient.objects.select_related("record").get(nir=PAT_TROIS_INS)
    assert patient.birth_names == "PAT-TROIS"
    assert patient.first_given_name == "Dominique"
    assert patient.sex == "F"
    assert patient.birth_date.isoformat() == "1979-03-28"
    assert patient.record.state == RecordState.ACTIVE
    assert patient.user == _user("dominique")


def test_every_role_has_its_account(seeded: Seeded) -> None:
    professions = {
        "gp": Profession.GENERAL_PRACTITIONER,
        "pharmacist": Profession.PHARMACIST,
        "nurse": Profession.NURSE,
        "physio": Profession.PHYSIOTHERAPIST,
        "emergency": Profession.EMERGENCY_PHYSICIAN,
    }
    for key, profession in professions.items():
        assert _user(key).professional.profession == profession
    assert _user("agent").is_support_agent
    assert not _user("agent").is_staff
    assert _user("admin").is_superuser
    for key in ("gerard", "dominique", "julien", "camille", "emma"):
        assert _user(key).is_patient
    for account in ACCOUNTS:
        user = _user(account.key)
        assert user.check_password(DEMO_PASSWORD)
        assert user.requires_two_factor == account.two_factor


def test_family_children_are_4_and_16_and_only_the_teenager_logs_in(seeded: Seeded) -> None:
    children = {p.first_given_name: p for p in Patient.objects.filter(birth_names="MOREAU")}
    assert children["Louis"].age == 4
    assert children["Louis"].user is None
    assert children["Emma"].age == 16
    assert children["Emma"].user == _user("emma")
    # The toddler's growth is followed from birth, head circumference included.
    louis_kinds = set(
        Measure.objects.filter(patient=children["Louis"]).values_list("kind", flat=True)
    )
    assert {"weight", "height", "head_circumference"} <= louis_kinds
    assert (
        Vaccination.objects.filter(patient=children["Louis"], vaccine="Infanrix Hexa").count() == 3
    )


def test_elderly_patient_has_chronic_conditions_and_treatments(seeded: Seeded) -> None:
    gerard = _user("gerard").patient
    assert gerard.age == 74
    codes = set(Condition.objects.filter(patient=gerard).values_list("icd10_code", flat=True))
    assert {"E11.9", "I10", "I48.9"} <= codes
    current = [t.medicine for t in Treatment.objects.filter(patient=gerard) if t.is_current]
    assert any(m.startswith("Metformine 1000 mg") for m in current)
    assert any(m.startswith("Apixaban") for m in current)
    glucose = Measure.objects.filter(patient=gerard, kind="blood_glucose")
    assert glucose.count() > 100


def test_every_entry_has_its_timeline_row(seeded: Seeded) -> None:
    for section, model in SECTION_MODELS.items():
        entries = set(model.objects.values_list("pk", "patient_id"))
        rows = set(
            TimelineEvent.objects.filter(kind=section, deleted=False).values_list(
                "source_id", "patient_id"
            )
        )
        assert entries, section
        assert rows == entries, section


def test_every_record_is_active_after_notice(seeded: Seeded) -> None:
    """Except the demo campaign's and the population waiting for its campaign."""
    from records.management.demo.console import COHORT_FILENAME

    for record in Record.objects.exclude(notice__campaign__name=CAMPAIGN_NAME).exclude(
        patient__cohort_memberships__cohort_import__filename=COHORT_FILENAME
    ):
        assert record.state == RecordState.ACTIVE
        states = list(record.transitions.values_list("to_state", flat=True))
        assert states == [RecordState.CREATED, RecordState.NOTIFIED, RecordState.ACTIVE]


def test_the_console_has_a_population_a_draft_to_start_and_a_team_of_its_own(
    seeded: Seeded,
) -> None:
    """Made through the console's services: an import with two refused lines, a
    draft campaign over it that targets its records, a structure whose two
    members an admin declared."""
    from consent.optout.models import Campaign, CampaignState, CohortImport
    from consent.optout.services.campaigns import campaign_targets
    from messpace.directory.models import Structure
    from records.management.demo import console

    cohort = CohortImport.objects.get(filename=console.COHORT_FILENAME)
    assert (cohort.state, cohort.created_count, cohort.error_count) == (
        "done",
        console.COHORT_PEOPLE,
        2,
    )
    draft = Campaign.objects.get(name=console.DRAFT_NAME)
    assert draft.state == CampaignState.DRAFT and draft.cohort_import == cohort
    assert campaign_targets(draft).count() == console.COHORT_PEOPLE
    team = Structure.objects.get(name=console.TEAM_NAME)
    assert team.technical_id.startswith("MSP-")
    assert team.activities.filter(declared_at__isnull=False).count() == 2


def test_the_demo_campaign_gives_the_dashboard_every_kind_of_figure(seeded: Seeded) -> None:
    """Its people went through the real services: one notice each, by letter or
    email, answered through support or opened after the delay."""
    from consent.optout.models import Campaign, DeliveryState, LetterBatch, NoticeOutcome
    from consent.optout.selectors import campaign_dashboard

    campaign = Campaign.objects.get(name=CAMPAIGN_NAME)
    outcomes = dict(
        campaign.notices.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    assert outcomes == {
        NoticeOutcome.OPPOSED: 6,
        NoticeOutcome.ACTIVATED_EARLY: 5,
        NoticeOutcome.OPENED: PEOPLE - 11,
    }
    assert LetterBatch.objects.filter(campaign=campaign).count() == 2  # the batch, a bounce
    assert campaign.notices.filter(deliveries__state=DeliveryState.BOUNCED).count() == 1
    assert Record.objects.filter(notice__campaign=campaign, state=RecordState.CLOSED).count() == 2
    figures = campaign_dashboard(campaign_id=campaign.pk).figures
    assert (figures.created, figures.opposed, figures.closed) == (PEOPLE, 6, 2)
    assert figures.used == 14  # signed in at least once, among the opened records


def test_care_relationships_link_the_team_to_their_patients(seeded: Seeded) -> None:
    def patients_of(key: str) -> set[str]:
        return set(
            CareRelationship.objects.filter(
                professional__user=_user(key), ended_at__isnull=True
            ).values_list("patient__given_names", flat=True)
        )

    gp_patients = patients_of("gp")
    for name in ("Gérard Louis", "Dominique Marie-Louise", "Julien Pierre", "Camille Anne"):
        assert name in gp_patients
    assert {"Emma Louise", "Louis Gabriel"} <= gp_patients
    assert patients_of("pharmacist") == {"Gérard Louis"}
    assert patients_of("nurse") == {"Gérard Louis"}
    assert patients_of("physio") == {"Julien Pierre"}
    assert patients_of("emergency") == set()


def test_garnier_is_the_designated_gp_of_the_adults_who_chose_her(seeded: Seeded) -> None:
    gp = _user("gp").professional
    designated = {
        (d.patient.user.email if d.patient.user else "")
        for d in DesignatedGP.objects.filter(professional=gp).select_related("patient__user")
    }
    assert designated == {_user(key).email for key in ("gerard", "dominique", "julien", "camille")}
    assert DesignatedGP.objects.count() == 4
    assert professional_record_access(gp.user, _user("gerard").patient.pk).basis == (
        AccessBasis.DESIGNATED_GP
    )


def test_physiotherapist_sees_only_the_sections_gerard_shared(seeded: Seeded) -> None:
    physio, gerard = _user("physio"), _user("gerard").patient
    sections = set(
        Share.objects.filter(professional__user=physio, revoked_at__isnull=True).values_list(
            "patient_id", "section"
        )
    )
    assert sections == {(gerard.pk, "handicap"), (gerard.pk, "treatment")}

    access = professional_record_access(physio, gerard.pk)
    assert access.basis == AccessBasis.SHARE
    assert access.kinds == {"handicap", "treatment"}
    # Julien's record still comes through the care relationship the physiotherapist
    # declared (the demo's relationships are made as the app makes them).
    julien = _user("julien").patient
    assert professional_record_access(physio, julien.pk).basis == AccessBasis.CARE_DECLARED


def test_the_pharmacist_sees_emmas_inhaler_not_the_pill_kept_from_her_parents(
    seeded: Seeded,
) -> None:
    """Camille, acting for Emma, shared Emma's treatments with the pharmacist: what
    a guardian grants never reaches what is kept from the guardians."""
    emma = _user("emma").patient
    share = Share.objects.get(professional__user=_user("pharmacist"), patient=emma)
    assert (share.section, share.granted_by_guardian) == ("treatment", True)

    access = professional_record_access(_user("pharmacist"), emma.pk)
    medicines = set(access.entries(Treatment).values_list("medicine", flat=True))
    assert any("Salbutamol" in m for m in medicines)
    pill = Treatment.objects.get(patient=emma, confidential_from_guardians=True)
    assert pill.medicine not in medicines
    assert pill in professional_record_access(_user("gp"), emma.pk).entries(Treatment)


def test_a_document_sent_to_the_wrong_record_waits_in_quarantine(seeded: Seeded) -> None:
    """The lab report the GP sent to Gérard's record names Dominique: its ingestion
    (which this module's rolled-back transaction never reaches on its own)
    quarantines it for an admin's review."""
    gerard = _user("gerard").patient
    upload = Upload.objects.get(patient=gerard, source_id__startswith="wrong-record-")

    with override_settings(MESSPACE_ALLOW_NO_SCANNER=True):
        assert upload_process(upload_id=upload.pk) == UploadState.QUARANTINED

    upload.refresh_from_db()
    assert upload.reason_code == "identity_mismatch"
    assert not Document.objects.filter(upload=upload).exists()


def test_gerards_hidden_habit_is_seen_by_his_gp_not_by_his_nurse(seeded: Seeded) -> None:
    gerard = _user("gerard").patient
    hidden = Habit.objects.get(patient=gerard, hidden_from_professionals=True)
    assert hidden.kind == "alcohol"
    assert TimelineEvent.objects.get(kind="habit", source_id=hidden.pk).hidden_from_professionals

    nurse_habits = professional_record_access(_user("nurse"), gerard.pk).entries(Habit)
    gp_habits = professional_record_access(_user("gp"), gerard.pk).entries(Habit)
    assert hidden not in nurse_habits
    assert nurse_habits.exists()
    assert hidden in gp_habits


def test_output_gives_gerards_ins_and_birth_date_for_emergency_access(seeded: Seeded) -> None:
    gerard = _user("gerard").patient
    for output in (seeded.first_output, seeded.second_output):
        assert reverse("pro:emergency_access") in output
        assert gerard.nir_display in output
        assert gerard.birth_date.strftime("%d/%m/%Y") in output


def test_professional_writes_are_in_the_access_history(seeded: Seeded) -> None:
    nurse = _user("nurse")
    gerard = _user("gerard").patient
    logged = AccessLog.objects.filter(actor=nurse, patient=gerard, action="write")
    # Her declaration of the care relationship, then each measure she wrote.
    assert logged.filter(what=CARE_DECLARATION_WHAT).count() == 1
    measures = logged.exclude(what=CARE_DECLARATION_WHAT)
    assert measures.count() == Measure.objects.filter(author=nurse).count() > 0


def test_backup_codes_work_once_and_a_rerun_restores_them(seeded: Seeded) -> None:
    """GIVEN a newcomer who used a backup code WHEN seed_demo runs again THEN it works again."""
    urgentiste = _user("emergency")
    assert match_token(urgentiste, BACKUP_CODES[0]) is not None
    assert match_token(urgentiste, BACKUP_CODES[0]) is None
    urgentiste.set_password("changed-by-a-visitor")
    urgentiste.save()

    _seed()

    urgentiste.refresh_from_db()
    assert match_token(urgentiste, BACKUP_CODES[0]) is not None
    assert urgentiste.check_password(DEMO_PASSWORD)


def test_a_rerun_lifts_a_visitors_blocks_and_restores_the_share_and_the_carer(
    seeded: Seeded,
) -> None:
    """GIVEN a visitor who, as Gérard, blocked the physiotherapist (which ends his share)
    and revoked his carer, and, as Camille, blocked Louis's GP
    WHEN seed_demo runs again THEN the demo's bases are back."""
    gerard, camille = _user("gerard"), _user("camille")
    physio, gp = _user("physio").professional, _user("gp").professional
    louis = Patient.objects.get(birth_names="MOREAU", given_names="Louis Gabriel")
    block_add(access=own_record_access(gerard), professional=physio)
    sophie_grant = CarerGrant.objects.get(patient=gerard.patient, revoked_at__isnull=True)
    carer_revoke(access=own_record_access(gerard), grant_id=sophie_grant.pk)
    block_add(access=guardian_record_access(camille, louis.pk), professional=gp)
    with pytest.raises(Http404):
        professional_record_access(physio.user, gerard.patient.pk)

    _seed()

    assert not Block.objects.filter(patient__in=[gerard.patient, louis]).exists()
    access = professional_record_access(physio.user, gerard.patient.pk)
    assert (access.basis, access.kinds) == (AccessBasis.SHARE, {"handicap", "treatment"})
    assert carer_record_access(_user("sophie"), gerard.patient.pk).basis == AccessBasis.CARER
    assert professional_record_access(gp.user, louis.pk).basis == AccessBasis.CARE_DECLARED


def test_readme_lists_the_same_demo_accounts(seeded: Seeded) -> None:
    readme = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in readme
    for account in ACCOUNTS:
        assert account.email in readme
    for code in BACKUP_CODES:
        assert code in readme


def test_refuses_to_run_without_debug_unless_forced(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())


def test_the_directory_lists_the_sample_extract_and_the_care_team(seeded: Seeded) -> None:
    done = DirectoryImport.objects.get(filename=SAMPLE_EXTRACT.name)
    assert done.state == DirectoryImportState.DONE
    assert done.created_count > 10
    assert done.error_count == 3  # the sample's three refused lines
    # The care team is found by name and town, with its place of practice.
    found = list(listings_search("garnier paris"))
    assert [listing.professional.user.email for listing in found] == [_user("gp").email]
    assert "Paris" in found[0].summary
    # A second run imports nothing again.
    assert seeded.after_second["directory.DirectoryImport"] == 1
