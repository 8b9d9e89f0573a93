"""Legal guardians of minors: up to two per child, acting as the child in the
child's record (logged as themselves), kept from what is confidential, and
ending at the 18th birthday with the young adult's own login."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from consent import services
from consent.models import AccessBasis, AccessLog, DesignatedGP, Guardianship, GuardianshipEnd
from consent.notifications import majority_notify
from consent.policy import (
    guardian_patients,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from consent.tasks import guardianships_end_at_majority
from messpace.accounts.models import User
from records.models import AuthorKind, Patient, TimelineEvent, Treatment
from records.services import entry_create, entry_import
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
)
from tests.records.sample import post_data

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=PARIS)
Login = Callable[[Client, User], Client]


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def parent(db: None) -> User:
    return PatientUserFactory(given_names="Paul", birth_names="DURAND").user  # type: ignore[no-any-return]


@pytest.fixture
def other_parent(db: None) -> User:
    return UserFactory(email="lea.durand@exemple.fr", first_name="Léa", last_name="Durand")


@pytest.fixture
def teen(db: None) -> Patient:
    """Zoé, 16, with her own login."""
    return PatientUserFactory(  # type: ignore[no-any-return]
        given_names="Zoé", birth_names="DURAND", birth_date=dt.date(2009, 11, 2)
    )


@pytest.fixture
def child(db: None) -> Patient:
    """Tom, 8, no login; his contact email is his mother's."""
    return PatientFactory(  # type: ignore[no-any-return]
        given_names="Tom",
        birth_names="DURAND",
        birth_date=dt.date(2017, 6, 1),
        email="lea.durand@exemple.fr",
    )


def _entry(patient: Patient, medicine: str, *, by: Any = None) -> Treatment:
    if by is None:
        access = own_record_access(patient.user)  # type: ignore[arg-type]
    else:
        access = professional_record_access(by.user, patient.pk)
    return entry_create(  # type: ignore[return-value]
        access=access, model=Treatment, data={"medicine": medicine, "dose": "1 cp"}
    )


def _acting(client: Client, patient: Patient) -> Client:
    response = client.post(reverse("records:act_for", args=[patient.pk]))
    assert response.status_code == 302
    return client


# --- Recording guardians ---


def test_a_minor_has_at_most_two_live_guardians(
    child: Patient, parent: User, other_parent: User
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    services.guardianship_add(patient=child, guardian=other_parent)
    third = UserFactory()

    with pytest.raises(ValidationError, match="déjà deux représentants légaux"):
        services.guardianship_add(patient=child, guardian=third)
    with pytest.raises(ValidationError, match="déjà représentant légal"):
        services.guardianship_add(patient=child, guardian=parent)

    assert Guardianship.objects.filter(patient=child).count() == 2
    # Once one ends, another may be recorded.
    first = Guardianship.objects.get(patient=child, guardian=parent)
    assert services.guardianship_end(guardianship_id=first.pk) is True
    assert services.guardianship_end(guardianship_id=first.pk) is False
    services.guardianship_add(patient=child, guardian=third)
    assert Guardianship.objects.filter(patient=child, ended_at__isnull=True).count() == 2


def test_adults_and_oneself_cannot_be_given_a_guardian(
    teen: Patient, parent: User, db: None
) -> None:
    adult = PatientUserFactory(birth_date=dt.date(1990, 1, 1))

    with pytest.raises(ValidationError, match="majeur"):
        services.guardianship_add(patient=adult, guardian=parent)
    with pytest.raises(ValidationError, match="propre représentant"):
        services.guardianship_add(patient=teen, guardian=teen.user)  # type: ignore[arg-type]
    assert not Guardianship.objects.exists()


# --- Acting as the child ---


def test_guardian_switches_into_the_child_record_and_back(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    client = login(client, parent)

    children = client.get(reverse("records:children"))
    assertContains(children, "Tom DURAND")
    _acting(client, child)
    dashboard = client.get(reverse("records:dashboard"))
    assertContains(dashboard, "Vous agissez pour Tom DURAND")
    assert dashboard.context["access"].patient == child
    assert dashboard.context["access"].basis == AccessBasis.GUARDIAN

    back = client.post(reverse("records:act_self"))
    assert back.status_code == 302
    own = client.get(reverse("records:dashboard"))
    assert own.context["access"].patient.user == parent
    assertNotContains(own, "Vous agissez pour")


def test_someone_else_cannot_switch_into_a_child_record(
    client: Client, login: Login, child: Patient, parent: User
) -> None:
    services.guardianship_add(patient=child, guardian=UserFactory())
    client = login(client, parent)

    response = client.post(reverse("records:act_for", args=[child.pk]))

    assert response.status_code == 404
    assert client.get(reverse("records:dashboard")).context["access"].patient.user == parent
    assert guardian_patients(parent).count() == 0


def test_guardian_writes_as_the_child_and_every_access_is_logged_as_the_guardian(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    client = _acting(login(client, parent), child)

    client.get(reverse("records:section_list", args=["traitements"]))
    response = client.post(
        reverse("records:section_add", args=["traitements"]),
        post_data("treatment", medicine="Amoxicilline 250 mg"),
    )

    assert response.status_code == 302
    entry = Treatment.objects.get(patient=child)
    assert entry.author == parent
    assert entry.author_kind == AuthorKind.GUARDIAN
    logs = AccessLog.objects.filter(patient=child, actor=parent)
    assert set(logs.values_list("basis", flat=True)) == {AccessBasis.GUARDIAN}
    assert {("treatment", "read"), ("treatment", "write")} <= set(
        logs.values_list("what", "action")
    )
    # The guardian may edit what a guardian wrote, as the patient could.
    edit = client.get(reverse("records:section_edit", args=["traitements", entry.pk]))
    assert edit.status_code == 200


def test_guardian_manages_the_child_privacy_settings_logged_as_theirs(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    gp = ProfessionalFactory(profession="generaliste")
    client = _acting(login(client, parent), child)

    response = client.post(reverse("consent:gp_set"), {"gp-rpps": gp.rpps})

    assert response.status_code == 302
    assert DesignatedGP.objects.get(patient=child).professional == gp
    assert AccessLog.objects.filter(
        patient=child, actor=parent, what="privacy", action="write"
    ).exists()
    history = client.get(reverse("consent:history"))
    assert history.status_code == 200
    assertContains(history, "Confidentialité et accès")


def test_guardianship_ended_mid_session_returns_the_guardian_to_their_own_record(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    g = services.guardianship_add(patient=child, guardian=parent)
    client = _acting(login(client, parent), child)
    services.guardianship_end(guardianship_id=g.pk)

    assert client.get(reverse("records:dashboard")).status_code == 404
    after = client.get(reverse("records:dashboard"))
    assert after.status_code == 200
    assert after.context["access"].patient.user == parent


# --- Confidential from the guardians ---


def test_teen_keeps_an_item_from_her_guardians(
    client: Client, login: Login, parent: User, teen: Patient
) -> None:
    services.guardianship_add(patient=teen, guardian=parent)
    secret = _entry(teen, "Pilule contraceptive")
    _entry(teen, "Ventoline")
    teen_client = login(Client(), teen.user)  # type: ignore[arg-type]

    response = teen_client.post(
        reverse("records:entry_confidentiality", args=["traitements", secret.pk]),
        {"confidential": "1"},
    )

    assert response.status_code == 302
    secret.refresh_from_db()
    assert secret.confidential_from_guardians is True
    assert TimelineEvent.objects.get(
        kind="treatment", source_id=secret.pk
    ).confidential_from_guardians
    assertContains(teen_client.get(reverse("records:section_list", args=["traitements"])), "Pilule")
    parent_client = _acting(login(client, parent), teen)
    for url in (
        reverse("records:dashboard"),
        reverse("records:timeline"),
        reverse("records:section_list", args=["traitements"]),
    ):
        page = parent_client.get(url)
        assert page.status_code == 200
        assertNotContains(page, "Pilule")
    assertContains(
        parent_client.get(reverse("records:section_list", args=["traitements"])), "Ventoline"
    )
    edit = parent_client.get(reverse("records:section_edit", args=["traitements", secret.pk]))
    assert edit.status_code == 404


def test_a_child_under_15_and_a_guardian_cannot_mark_items_confidential(
    client: Client, login: Login, parent: User, teen: Patient, time_machine: Any
) -> None:
    services.guardianship_add(patient=teen, guardian=parent)
    entry = _entry(teen, "Ventoline")
    url = reverse("records:entry_confidentiality", args=["traitements", entry.pk])

    acting = _acting(login(client, parent), teen)
    assert acting.post(url, {"confidential": "1"}).status_code == 403
    time_machine.move_to(dt.datetime(2024, 6, 1, tzinfo=PARIS), tick=False)  # Zoé is 14
    younger = login(Client(), teen.user)  # type: ignore[arg-type]
    assert younger.post(url, {"confidential": "1"}).status_code == 403

    entry.refresh_from_db()
    assert entry.confidential_from_guardians is False


def test_professional_marks_a_minor_item_confidential_and_still_sees_it(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    gp = ProfessionalFactory(profession="generaliste")
    CareRelationshipFactory(professional=gp, patient=child)
    entry = _entry(child, "Traitement confidentiel", by=gp)
    pro = login(client, gp.user)

    response = pro.post(
        reverse("pro:entry_confidentiality", args=[child.pk, "traitements", entry.pk]),
        {"confidential": "1"},
    )

    assert response.status_code == 302
    assertContains(
        pro.get(reverse("pro:section_list", args=[child.pk, "traitements"])),
        "Traitement confidentiel",
    )
    access = guardian_record_access(parent, child.pk)
    assert not access.entries(Treatment).filter(pk=entry.pk).exists()
    assert not access.timeline().filter(source_id=entry.pk, kind="treatment").exists()
    with pytest.raises(Http404):
        access.entry_or_404(Treatment, entry.pk)


def test_an_adult_record_has_nothing_to_keep_from_guardians(db: None) -> None:
    adult = PatientUserFactory(birth_date=dt.date(1990, 1, 1))
    gp = ProfessionalFactory(profession="generaliste")
    CareRelationshipFactory(professional=gp, patient=adult)
    entry = _entry(adult, "Ramipril", by=gp)

    with pytest.raises(ValidationError, match="majeure"):
        services.entry_guardian_confidentiality_set(
            access=professional_record_access(gp.user, adult.pk), entry=entry, confidential=True
        )
    with pytest.raises(ValidationError):
        services.entry_guardian_confidentiality_set(
            access=own_record_access(adult.user),  # type: ignore[arg-type]
            entry=entry,
            confidential=True,
        )
    entry.refresh_from_db()
    assert entry.confidential_from_guardians is False


def test_bad_confidentiality_payload_changes_nothing(
    client: Client, login: Login, teen: Patient
) -> None:
    entry = _entry(teen, "Ventoline")
    teen_client = login(client, teen.user)  # type: ignore[arg-type]
    url = reverse("records:entry_confidentiality", args=["traitements", entry.pk])

    assert teen_client.post(url, {"confidential": "oui"}).status_code == 400
    assert teen_client.get(url).status_code == 405
    other = _entry(PatientUserFactory(birth_date=dt.date(2009, 1, 1)), "Autre")
    assert (
        teen_client.post(
            reverse("records:entry_confidentiality", args=["traitements", other.pk]),
            {"confidential": "1"},
        ).status_code
        == 404
    )
    entry.refresh_from_db()
    other.refresh_from_db()
    assert not entry.confidential_from_guardians and not other.confidential_from_guardians


def test_guardian_access_stops_at_the_18th_birthday_even_before_the_task(
    parent: User, teen: Patient, time_machine: Any
) -> None:
    services.guardianship_add(patient=teen, guardian=parent)
    time_machine.move_to(dt.datetime(2027, 11, 1, 23, 0, tzinfo=PARIS), tick=False)
    assert guardian_record_access(parent, teen.pk).patient == teen

    time_machine.move_to(dt.datetime(2027, 11, 2, 0, 5, tzinfo=PARIS), tick=False)

    with pytest.raises(Http404):
        guardian_record_access(parent, teen.pk)
    assert guardian_patients(parent).count() == 0


# --- Coming of age ---


def test_majority_task_ends_guardianships_invites_the_young_adult_and_notifies_once(
    client: Client, parent: User, other_parent: User, db: None, time_machine: Any
) -> None:
    """Léo turns 18; his account exists without a password yet: he gets a link to
    choose one; both guardians are told; a second run sends nothing."""
    leo_user = UserFactory(email="leo@ex.fr", password=None)
    leo_user.set_unusable_password()
    leo_user.save()
    leo = PatientFactory(
        given_names="Léo",
        birth_names="DURAND",
        birth_date=dt.date(2008, 3, 10),
        email="leo@ex.fr",
        user=leo_user,
    )
    entry_import(patient=leo, model=Treatment, data={"medicine": "Ramipril"})
    younger = PatientFactory(birth_date=dt.date(2010, 5, 5))
    time_machine.move_to(dt.datetime(2020, 1, 1, tzinfo=PARIS), tick=False)
    for guardian in (parent, other_parent):
        services.guardianship_add(patient=leo, guardian=guardian)
    services.guardianship_add(patient=younger, guardian=parent)
    # Léo's birthday is today (NOW is 10 March 2026); the task runs as beat would.
    time_machine.move_to(NOW, tick=False)
    sent = guardianships_end_at_majority.delay()

    assert sent is not None
    assert set(Guardianship.objects.filter(patient=leo).values_list("end_reason", flat=True)) == {
        GuardianshipEnd.MAJORITY
    }
    assert Guardianship.objects.get(patient=younger).ended_at is None
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(["leo@ex.fr", parent.email, other_parent.email])
    for message in mail.outbox:
        assert "Ramipril" not in message.body + str(message.alternatives)  # no health content
    invitation = next(m for m in mail.outbox if m.to == ["leo@ex.fr"])
    assert len(invitation.alternatives) == 1
    link = re.search(r"https?://\S+/compte/activer/\S+/", invitation.body)
    assert link is not None

    # Idempotent: a second run (or a doubled beat tick) sends nothing.
    mail.outbox.clear()
    guardianships_end_at_majority.delay()
    assert mail.outbox == []
    assert services.guardianships_end_at_majority() == []

    # The link lets Léo choose a password, once.
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "Un-mot-de-passe-solide-2026",
            "new_password2": "Un-mot-de-passe-solide-2026",
        },
    )
    assert done.status_code == 302
    leo_user.refresh_from_db()
    assert leo_user.check_password("Un-mot-de-passe-solide-2026")
    again = client.get("/" + path, follow=True)
    assert again.context["validlink"] is False
    assert own_record_access(leo_user).patient == leo


def test_no_account_is_made_from_a_contact_address_a_guardian_could_have_set(
    parent: User, child: Patient, time_machine: Any
) -> None:
    """GIVEN a guardian who put an address of their own as the child's contact email
    WHEN the child comes of age THEN no account is made from it and no link is sent."""
    services.guardianship_add(patient=child, guardian=parent)
    acting = guardian_record_access(parent, child.pk)
    from records.services import patient_contact_update

    patient_contact_update(access=acting, data={"email": "parent-alias@exemple.fr"})
    users_before = User.objects.count()
    time_machine.move_to(dt.datetime(2035, 6, 2, 3, 0, tzinfo=PARIS), tick=False)

    guardianships_end_at_majority.delay()

    child.refresh_from_db()
    assert child.user is None and User.objects.count() == users_before
    assert [m.to for m in mail.outbox] == [[parent.email]]
    assert "/compte/activer/" not in mail.outbox[0].body


def test_carers_a_guardian_invited_end_at_majority(
    parent: User, child: Patient, time_machine: Any
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    grant, token = services.carer_invite(
        access=guardian_record_access(parent, child.pk),
        email="nounou@exemple.fr",
        sections=["vaccination"],
        can_write=False,
        expires_at=dt.datetime(2040, 1, 1, tzinfo=PARIS),
    )
    # The link works only for the invited address's own account.
    with pytest.raises(ValidationError, match="une autre adresse"):
        services.carer_accept(user=parent, token=token)
    services.carer_accept(user=UserFactory(email="nounou@exemple.fr"), token=token)
    time_machine.move_to(dt.datetime(2035, 6, 2, 3, 0, tzinfo=PARIS), tick=False)

    guardianships_end_at_majority.delay()

    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_majority_catches_up_after_downtime_and_never_hands_a_parent_address_over(
    parent: User, other_parent: User, child: Patient, time_machine: Any
) -> None:
    """Tom's contact email is his mother's account: no account is made from it. The
    task ran late (he turned 18 a week ago): it still ends the guardianships."""
    services.guardianship_add(patient=child, guardian=other_parent)
    time_machine.move_to(dt.datetime(2035, 6, 8, 3, 0, tzinfo=PARIS), tick=False)

    guardianships_end_at_majority.delay()

    child.refresh_from_db()
    assert child.user is None
    assert User.objects.filter(email__iexact="lea.durand@exemple.fr").count() == 1
    # Only the guardian's notice goes to that address: Tom's is for a letter.
    assert [m.to for m in mail.outbox] == [["lea.durand@exemple.fr"]]
    assert "code de son courrier" in mail.outbox[0].body
    assert "Tom DURAND a 18 ans" in mail.outbox[0].subject
    g = Guardianship.objects.get(patient=child)
    assert g.end_reason == GuardianshipEnd.MAJORITY and g.end_notified_at is not None


def test_a_failed_send_is_retried_without_losing_the_notice(
    parent: User, teen: Patient, time_machine: Any, settings: Any
) -> None:
    services.guardianship_add(patient=teen, guardian=parent)
    time_machine.move_to(dt.datetime(2027, 11, 2, 3, 0, tzinfo=PARIS), tick=False)
    assert services.guardianships_end_at_majority() == [teen.pk]
    settings.EMAIL_BACKEND = "tests.consent.test_guardians.FailingBackend"

    with pytest.raises(ConnectionError):
        majority_notify(patient_id=teen.pk)

    assert Guardianship.objects.get(patient=teen).end_notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert majority_notify(patient_id=teen.pk) is True
    assert majority_notify(patient_id=teen.pk) is False
    # Zoé already had her login: no new account, no password link.
    assert teen.user is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([teen.user.email, parent.email])
    assert "/compte/activer/" not in "".join(m.body for m in mail.outbox)


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionError("SMTP down")


def test_guardianship_rows_are_checked_by_the_database(parent: User, child: Patient) -> None:
    from django.db import IntegrityError, transaction

    Guardianship.objects.create(patient=child, guardian=parent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Guardianship.objects.create(patient=child, guardian=parent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Guardianship.objects.create(patient=child, guardian=UserFactory(), end_reason="majority")


def test_the_beat_schedule_runs_the_majority_task_daily(settings: Any) -> None:
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "consent.tasks.guardianships_end_at_majority" in entries


def test_professional_write_access_is_needed_to_mark_confidential(
    parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    entry = _entry_for_child(child)
    access = guardian_record_access(parent, child.pk)

    with pytest.raises(PermissionDenied):
        services.entry_guardian_confidentiality_set(access=access, entry=entry, confidential=True)


def _entry_for_child(child: Patient) -> Treatment:
    gp = ProfessionalFactory(profession="generaliste")
    CareRelationshipFactory(professional=gp, patient=child)
    return _entry(child, "Sirop", by=gp)


def test_admin_adds_guardians_through_the_rules(
    client: Client, login: Login, child: Patient, parent: User, other_parent: User
) -> None:
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = login(client, admin_user)
    url = reverse("admin:consent_guardianship_add")

    for guardian in (parent, other_parent):
        added = client.post(url, {"patient": child.pk, "guardian": guardian.pk})
        assert added.status_code == 302
    refused = client.post(url, {"patient": child.pk, "guardian": UserFactory().pk})

    assert refused.status_code == 200
    assertContains(refused, "déjà deux représentants légaux")
    assert Guardianship.objects.filter(patient=child).count() == 2
    listing = client.get(reverse("admin:consent_guardianship_changelist"))
    assert listing.status_code == 200


def test_guardian_history_leaves_out_who_read_the_confidential_items(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    services.guardianship_add(patient=child, guardian=parent)
    gp = ProfessionalFactory(profession="generaliste")
    CareRelationshipFactory(professional=gp, patient=child)
    secret = _entry(child, "Traitement discret", by=gp)
    visible = _entry(child, "Sirop", by=gp)
    pro = professional_record_access(gp.user, child.pk)
    services.entry_guardian_confidentiality_set(access=pro, entry=secret, confidential=True)

    parent_client = _acting(login(client, parent), child)
    rows = parent_client.get(reverse("consent:history")).context["rows"]

    object_ids = {log.object_id for log, _label in rows}
    assert visible.pk in object_ids
    assert secret.pk not in object_ids


def test_a_form_shown_for_one_record_is_refused_after_switching_in_another_tab(
    client: Client, login: Login, parent: User, child: Patient
) -> None:
    """GIVEN the parent's own add form open in one tab WHEN they switch into their
    child's record in another tab and submit the first form THEN nothing is filed."""
    services.guardianship_add(patient=child, guardian=parent)
    client = login(client, parent)
    own = client.get(reverse("records:section_add", args=["traitements"]))
    own_record = own.context["patient"].pk
    _acting(client, child)

    response = client.post(
        reverse("records:section_add", args=["traitements"]),
        {**post_data("treatment", medicine="Doliprane"), "record": own_record},
    )

    assert response.status_code == 403
    assert not Treatment.objects.filter(medicine="Doliprane").exists()
    assertContains(
        client.get(reverse("records:section_add", args=["traitements"])),
        f'name="record" value="{child.pk}"',
    )
