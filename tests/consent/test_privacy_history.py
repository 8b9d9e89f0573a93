"""The patient's access history: who read or wrote the record, in what role, on what basis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import AccessAction, AccessBasis, AccessLog
from consent.policy import professional_record_access
from messpace.accounts.models import Professional
from records import services as record_services
from records.models import Condition, Patient
from tests.consent.privacy import HISTORY, Login, client_for
from tests.factories import PatientUserFactory, ProfessionalFactory

# --- Access history ---


def _log(patient: Patient, actor: Professional, **extra: Any) -> AccessLog:
    values: dict[str, Any] = {
        "actor_label": f"{actor.display_name}, {actor.title}",
        "role": "professional",
        "basis": AccessBasis.CARE_RELATIONSHIP,
        "action": AccessAction.READ,
        "what": "condition",
    }
    values.update(extra)
    return AccessLog.objects.create(patient=patient, actor=actor.user, **values)


def test_history_lists_professional_reads_in_french(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    bob_client = client_for(login, bob.user)
    bob_client.get(reverse("pro:dashboard", args=[alice.pk]))
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"]))
    bob_client.get(reverse("pro:timeline", args=[alice.pk]))

    response = alice_client.get(HISTORY)

    assertContains(response, "Historique des accès à mon dossier")
    label = f"{bob.display_name}, {bob.title}"
    assert label == "Dr Bob Durand, Médecin généraliste"
    assertContains(response, f"<td>{label}</td>", count=3, html=True)
    assertContains(response, "<td>Relation de soins</td>", count=3, html=True)
    assertContains(response, "<td>Consultation</td>", count=3, html=True)
    assertContains(response, "<td>Vue d’ensemble</td>", html=True)
    assertContains(response, "<td>Allergies et intolérances</td>", html=True)
    assertContains(response, "<td>Histoire de santé</td>", html=True)


def test_history_does_not_log_nor_show_the_patients_own_reads(
    alice_client: Client, alice: Patient
) -> None:
    alice_client.get(reverse("records:dashboard"))
    alice_client.get(reverse("records:section_list", args=["maladies"]))

    response = alice_client.get(HISTORY)

    assert not AccessLog.objects.filter(patient=alice).exists()
    assertContains(response, "Aucun professionnel n’a encore consulté votre dossier.")


def test_history_shows_only_the_patients_own_log(
    alice_client: Client, alice: Patient, charlie: Professional
) -> None:
    _log(PatientUserFactory(), charlie)

    response = alice_client.get(HISTORY)

    assertNotContains(response, charlie.display_name)


def test_history_is_newest_first_and_paginated_by_25(
    alice_client: Client, alice: Patient, bob: Professional
) -> None:
    start = timezone.now() - dt.timedelta(days=30)
    for day in range(30):
        _log(alice, bob, at=start + dt.timedelta(days=day), what=f"note {day:02d}")

    first = alice_client.get(HISTORY)
    second = alice_client.get(HISTORY, {"page": 2})

    assert [row[0].what for row in first.context["rows"]][:2] == ["note 29", "note 28"]
    assert len(first.context["rows"]) == 25
    assert [row[0].what for row in second.context["rows"]] == [
        f"note {d:02d}" for d in range(4, -1, -1)
    ]
    assertContains(first, "30 accès")
    assertContains(first, "Page suivante")


def test_history_filters_by_professional_action_basis_and_dates(
    alice_client: Client, alice: Patient, bob: Professional, charlie: Professional
) -> None:
    now = timezone.now()
    _log(alice, bob, what="treatment", at=now - dt.timedelta(days=40))
    _log(alice, bob, what="allergy", action=AccessAction.WRITE)
    _log(alice, charlie, what="measure", basis=AccessBasis.SHARE)

    def shown(**params: Any) -> list[str]:
        response = alice_client.get(HISTORY, params)
        assert response.status_code == 200
        return sorted(row[0].what for row in response.context["rows"])

    assert shown(actor=bob.user.pk) == ["allergy", "treatment"]
    assert shown(action="write") == ["allergy"]
    assert shown(basis="share") == ["measure"]
    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert shown(date_from=week_ago) == ["allergy", "measure"]
    assert shown(date_to=week_ago) == ["treatment"]
    assert shown(what="allergy") == ["allergy"]


def test_history_filter_with_an_inverted_date_range_is_explained(
    alice_client: Client, alice: Patient, bob: Professional
) -> None:
    _log(alice, bob)

    response = alice_client.get(HISTORY, {"date_from": "2024-06-10", "date_to": "2024-06-01"})

    assertContains(response, "La date de fin doit être postérieure ou égale à la date de début.")
    assert response.context["rows"] == []


def test_section_link_shows_who_consulted_that_section(
    alice_client: Client, alice: Patient, bob: Professional, login: Login
) -> None:
    entry = record_services.entry_create(
        access=professional_record_access(bob.user, alice.pk),
        model=Condition,
        data={"label": "Asthme"},
    )
    bob_client = client_for(login, bob.user)
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "maladies"]))
    bob_client.get(reverse("pro:section_edit", args=[alice.pk, "maladies", entry.pk]))
    bob_client.get(reverse("pro:section_list", args=[alice.pk, "allergies"]))
    listing = alice_client.get(reverse("records:section_list", args=["maladies"]))
    link = f"{HISTORY}?what=condition"
    assertContains(listing, link)

    response = alice_client.get(link)

    rows = response.context["rows"]
    # bob's write of the entry, his read of the list and his read of the entry; not allergies.
    assert [(log.action, log.object_id) for log, _label in rows] == [
        (AccessAction.READ, entry.pk),
        (AccessAction.READ, None),
        (AccessAction.WRITE, entry.pk),
    ]
    assert {label for _log, label in rows} == {"Maladies et sujets de santé"}


def test_history_labels_an_emergency_opening_with_its_reason(
    alice_client: Client, alice: Patient
) -> None:
    er = ProfessionalFactory(profession="urgentiste")
    _log(
        alice,
        er,
        basis=AccessBasis.EMERGENCY,
        what="emergency: patient inconscient aux urgences",
    )

    response = alice_client.get(HISTORY)

    assertContains(response, "Accès en urgence")
    assertContains(
        response, "Ouverture du dossier en urgence — motif : patient inconscient aux urgences"
    )


def test_history_page_is_read_only(alice_client: Client) -> None:
    assert alice_client.post(HISTORY).status_code == 405


# --- Query counts do not grow with the data ---


def test_history_page_query_count_does_not_grow_with_the_log(
    alice_client: Client,
    alice: Patient,
    bob: Professional,
    charlie: Professional,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for _ in range(20):
        _log(alice, bob)
        _log(alice, charlie, basis=AccessBasis.SHARE)

    with django_assert_max_num_queries(12):  # 11, and the unread messages badge
        response = alice_client.get(HISTORY, {"basis": "share"})

    assert len(response.context["rows"]) == 20
