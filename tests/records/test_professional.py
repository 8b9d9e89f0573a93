"""Professionals open their patients' records through the policy; every access is logged."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consent.models import AccessAction, AccessBasis, AccessLog
from messpace.accounts.models import Professional, User
from records.models import Allergy, AuthorKind, Condition, Entry, Patient, TimelineEvent
from tests.factories import (
    CareRelationshipFactory,
    DesignatedGPFactory,
    PatientUserFactory,
    ProfessionalFactory,
    ShareFactory,
)
from tests.records.sample import post_data

PRO_READ_PAGES = [
    ("pro:dashboard", ()),
    ("pro:timeline", ()),
    ("pro:section_list", ("maladies",)),
    ("pro:section_list", ("mesures",)),
    ("pro:section_add", ("maladies",)),
]


def _pro_url(name: str, patient: Patient, *args: object) -> str:
    return reverse(name, args=[patient.pk, *args])


@pytest.fixture
def alices_asthma(alice: Patient, entry_for: Callable[..., Entry]) -> Entry:
    return entry_for(alice, Condition, label="Asthme", icd10_code="J45")


@pytest.fixture
def bobs_allergy(alice: Patient, bob: Professional, entry_for: Callable[..., Entry]) -> Entry:
    return entry_for(
        alice, Allergy, author=bob.user, author_kind=AuthorKind.PROFESSIONAL, substance="Latex"
    )


@pytest.mark.usefixtures("alices_asthma", "bobs_allergy")
def test_gp_sees_his_patients_record(bob_client: Client, alice: Patient) -> None:
    dashboard = bob_client.get(_pro_url("pro:dashboard", alice))
    conditions = bob_client.get(_pro_url("pro:section_list", alice, "maladies"))
    timeline = bob_client.get(_pro_url("pro:timeline", alice))

    assertContains(dashboard, "Dossier d’Alice MARTIN")
    assertContains(dashboard, alice.nir_display)
    assertContains(conditions, "Asthme")
    assertContains(timeline, "Asthme (J45)")
    assertContains(timeline, "Allergie : Latex")


def test_gp_finds_his_patient_in_his_list(bob_client: Client, alice: Patient) -> None:
    PatientUserFactory(given_names="Zoé", birth_names="INCONNUE")

    response = bob_client.get(reverse("pro:patient_list"))

    assertContains(response, _pro_url("pro:dashboard", alice))
    assertNotContains(response, "INCONNUE")
    assert list(response.context["page"].object_list) == [alice]


def test_patient_list_sorts_by_surname_in_use_and_says_on_what_basis(
    bob_client: Client, bob: Professional, alice: Patient
) -> None:
    """Alice MARTIN (care, and her GP), Zola known as ARNAUD (care), BERNARD (a share)."""
    DesignatedGPFactory(patient=alice, professional=bob)
    arnaud = CareRelationshipFactory(
        professional=bob, patient__birth_names="ZOLA", patient__used_name="ARNAUD"
    ).patient
    bernard = ShareFactory(
        professional=bob, patient__birth_names="BERNARD", patient__used_name=""
    ).patient

    response = bob_client.get(reverse("pro:patient_list"))

    rows = list(response.context["page"].object_list)
    assert rows == [arnaud, bernard, alice]
    assert [(p.is_gp, p.in_care, p.has_share, p.in_emergency) for p in rows] == [
        (False, True, False, False),
        (False, False, True, False),
        (True, True, False, False),
    ]
    assertContains(response, "Médecin traitant</p>", count=1)
    assertContains(response, "Partage du patient</p>", count=1)
    assertContains(response, "Relation de soins</p>", count=2)
    assertContains(response, '<label class="fr-label" for="q">', html=False)


def test_patient_list_search_by_name_and_nir(bob_client: Client, alice: Patient) -> None:
    by_name = bob_client.get(reverse("pro:patient_list"), {"q": "mart"})
    by_nir = bob_client.get(reverse("pro:patient_list"), {"q": alice.nir_display[:8]})
    nobody = bob_client.get(reverse("pro:patient_list"), {"q": "Dupont"})

    assert list(by_name.context["page"].object_list) == [alice]
    assert list(by_nir.context["page"].object_list) == [alice]
    assertContains(nobody, "Aucun patient ne correspond.")


@pytest.mark.parametrize(("name", "args"), PRO_READ_PAGES)
def test_unrelated_professional_gets_404_for_alices_record(
    charlie_client: Client, alice: Patient, name: str, args: tuple[str, ...]
) -> None:
    response = charlie_client.get(_pro_url(name, alice, *args))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


@pytest.mark.usefixtures("bob")
def test_unrelated_professional_does_not_see_alice_in_his_list(
    charlie_client: Client, alice: Patient
) -> None:
    response = charlie_client.get(reverse("pro:patient_list"))

    assertNotContains(response, alice.nir_display)
    assertContains(response, "Aucun patient ne correspond.")


def test_unrelated_professional_cannot_write_or_delete_in_alices_record(
    charlie_client: Client, alice: Patient, alices_asthma: Entry
) -> None:
    add = charlie_client.post(
        _pro_url("pro:section_add", alice, "maladies"), post_data("condition")
    )
    delete = charlie_client.post(
        _pro_url("pro:section_delete", alice, "maladies", alices_asthma.pk)
    )

    assert (add.status_code, delete.status_code) == (404, 404)
    assert Condition.live.count() == 1


@pytest.mark.parametrize(("name", "args"), [*PRO_READ_PAGES, ("pro:patient_list", None)])
def test_non_professional_gets_404_on_professional_pages(
    alice_client: Client, alice: Patient, name: str, args: tuple[str, ...] | None
) -> None:
    url = reverse(name) if args is None else _pro_url(name, alice, *args)

    assert alice_client.get(url).status_code == 404


def test_ended_care_relationship_closes_the_record(bob_client: Client, alice: Patient) -> None:
    alice.care_relationships.update(ended_at=timezone.now())

    assert bob_client.get(_pro_url("pro:dashboard", alice)).status_code == 404
    assert alice not in bob_client.get(reverse("pro:patient_list")).context["page"].object_list


def test_professionals_entry_is_authored_as_them(
    bob_client: Client, alice: Patient, bob: Professional
) -> None:
    response = bob_client.post(
        _pro_url("pro:section_add", alice, "maladies"), post_data("condition")
    )

    entry = Condition.objects.get()
    listing = _pro_url("pro:section_list", alice, "maladies")
    assertRedirects(response, f"{listing}?ajout={entry.pk}")
    # Told where it went: the patient's record, not "votre dossier".
    after = bob_client.get(response.url)
    assertContains(after, "« Asthme (J45.0) » a été ajouté au dossier d’Alice MARTIN.")
    assertNotContains(after, "votre dossier")
    assert entry.patient == alice
    assert entry.author == bob.user
    assert entry.author_kind == AuthorKind.PROFESSIONAL
    event = TimelineEvent.objects.get()
    assert event.author_label == "Dr Bob Durand (Médecin généraliste)"
    assert event.author_kind == AuthorKind.PROFESSIONAL


def test_professional_edits_and_deletes_his_own_entry(
    bob_client: Client, alice: Patient, bob: Professional, bobs_allergy: Entry
) -> None:
    edit = bob_client.post(
        _pro_url("pro:section_edit", alice, "allergies", bobs_allergy.pk),
        post_data("allergy", substance="Latex naturel"),
    )
    delete = bob_client.post(_pro_url("pro:section_delete", alice, "allergies", bobs_allergy.pk))

    assert edit.status_code == delete.status_code == 302
    bobs_allergy.refresh_from_db()
    assert bobs_allergy.substance == "Latex naturel"
    assert bobs_allergy.deleted_by == bob.user


@pytest.mark.parametrize("action", ["section_edit", "section_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_professional_cannot_modify_the_patients_own_entry(
    bob_client: Client, alice: Patient, alices_asthma: Entry, action: str, method: str
) -> None:
    url = _pro_url(f"pro:{action}", alice, "maladies", alices_asthma.pk)

    response = getattr(bob_client, method)(url, post_data("condition", label="Autre"))

    assertContains(response, "Seul l’auteur de cet élément peut", status_code=403)
    alices_asthma.refresh_from_db()
    assert (alices_asthma.label, alices_asthma.deleted_at) == ("Asthme", None)


def test_professional_cannot_modify_another_professionals_entry(
    bob_client: Client, alice: Patient, entry_for: Callable[..., Entry]
) -> None:
    """GIVEN dave, a cardiologist also caring for alice, wrote an entry
    WHEN bob (her GP) tries to edit it
    THEN he gets a 403: professionals edit only what they authored."""
    dave = ProfessionalFactory(profession="specialiste", specialty="cardiologie")
    CareRelationshipFactory(professional=dave, patient=alice)
    entry = entry_for(
        alice, Condition, author=dave.user, author_kind=AuthorKind.PROFESSIONAL, label="HTA"
    )

    response = bob_client.post(
        _pro_url("pro:section_edit", alice, "maladies", entry.pk), post_data("condition")
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.label == "HTA"


def test_professional_gets_404_for_an_entry_of_another_patient(
    bob_client: Client, alice: Patient, bob: Professional, entry_for: Callable[..., Entry]
) -> None:
    """bob cares for both alice and dave; dave's entry id under alice's record is not found."""
    dave = PatientUserFactory(given_names="David")
    CareRelationshipFactory(professional=bob, patient=dave)
    entry = entry_for(
        dave, Condition, author=bob.user, author_kind=AuthorKind.PROFESSIONAL, label="Goutte"
    )

    response = bob_client.get(_pro_url("pro:section_edit", alice, "maladies", entry.pk))

    assert response.status_code == 404


# --- Access history: every professional read or write is logged, the patient's are not. ---


def _log_rows() -> list[tuple[str, str, int | None]]:
    return list(AccessLog.objects.order_by("id").values_list("action", "what", "object_id"))


@pytest.mark.parametrize(
    ("name", "args", "what"),
    [
        ("pro:dashboard", (), "dashboard"),
        ("pro:timeline", (), "timeline"),
        ("pro:section_list", ("maladies",), "condition"),
        ("pro:section_list", ("mesures",), "measure"),
    ],
)
def test_each_professional_read_writes_one_access_log_row(
    bob_client: Client,
    alice: Patient,
    bob: Professional,
    name: str,
    args: tuple[str, ...],
    what: str,
) -> None:
    bob_client.get(_pro_url(name, alice, *args))

    log = AccessLog.objects.get()
    assert (log.patient, log.actor, log.action, log.what) == (alice, bob.user, "read", what)
    assert (log.role, log.basis) == ("professional", AccessBasis.CARE_RELATIONSHIP)
    assert log.actor_label == "Dr Bob Durand, Médecin généraliste"


def test_professional_opening_an_entry_to_edit_or_delete_is_logged_as_a_read(
    bob_client: Client, alice: Patient, bobs_allergy: Entry
) -> None:
    bob_client.get(_pro_url("pro:section_edit", alice, "allergies", bobs_allergy.pk))
    bob_client.get(_pro_url("pro:section_delete", alice, "allergies", bobs_allergy.pk))

    assert _log_rows() == [
        (AccessAction.READ, "allergy", bobs_allergy.pk),
        (AccessAction.READ, "allergy", bobs_allergy.pk),
    ]


def test_each_professional_write_is_logged_with_the_entry(
    bob_client: Client, alice: Patient
) -> None:
    bob_client.post(_pro_url("pro:section_add", alice, "maladies"), post_data("condition"))
    entry = Condition.objects.get()
    bob_client.post(
        _pro_url("pro:section_edit", alice, "maladies", entry.pk),
        post_data("condition", label="Asthme sévère"),
    )
    bob_client.post(_pro_url("pro:section_delete", alice, "maladies", entry.pk))

    assert _log_rows() == [
        (AccessAction.WRITE, "condition", entry.pk),
        (AccessAction.WRITE, "condition", entry.pk),
        (AccessAction.DELETE, "condition", entry.pk),
    ]


def test_refused_professional_write_is_not_logged_as_a_write(
    bob_client: Client, alice: Patient
) -> None:
    bob_client.post(
        _pro_url("pro:section_add", alice, "maladies"), post_data("condition", label="<b>x</b>")
    )

    assert Condition.objects.count() == 0
    assert not AccessLog.objects.filter(action=AccessAction.WRITE).exists()


def test_patients_own_reads_and_writes_are_not_logged(alice_client: Client) -> None:
    alice_client.get(reverse("records:dashboard"))
    alice_client.get(reverse("records:timeline"))
    alice_client.get(reverse("records:section_list", args=["mesures"]))
    alice_client.post(reverse("records:section_add", args=["maladies"]), post_data("condition"))
    entry = Condition.objects.get()
    alice_client.get(reverse("records:section_edit", args=["maladies", entry.pk]))
    alice_client.post(reverse("records:section_delete", args=["maladies", entry.pk]))

    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_professional_who_is_also_a_patient_reads_own_record_unlogged(
    client: Client, login: Callable[[Client, User], Client]
) -> None:
    """A nurse who is also a patient opens her own record as a patient: no log row,
    and she never finds herself in her professional list."""
    nurse_patient = PatientUserFactory(given_names="Inès")
    assert nurse_patient.user is not None
    nurse = ProfessionalFactory(user=nurse_patient.user, profession="infirmier")
    CareRelationshipFactory(professional=nurse, patient=nurse_patient)
    login(client, nurse_patient.user)

    own = client.get(reverse("records:dashboard"))
    as_pro = client.get(_pro_url("pro:dashboard", nurse_patient))

    assert own.status_code == 200
    assert as_pro.status_code == 404
    assert not AccessLog.objects.exists()


def test_the_professionals_summary_puts_first_what_matters(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    """Allergies (severe first), then active conditions (long-term first), then current
    treatments, and measures of the last year only."""
    import datetime as dt

    from records.models import Measure, Treatment
    from tests.records.conftest import add_entry

    today = timezone.localdate()
    days = dt.timedelta(days=1)
    add_entry(alice, Allergy, substance="Pollen", severity="mild")
    add_entry(alice, Allergy, substance="Pénicilline", severity="severe")
    add_entry(alice, Condition, label="Grippe", status="resolved", start_date=today - 10 * days)
    add_entry(
        alice, Condition, label="Diabète de type 2", status="active", start_date=today - 4000 * days
    )
    add_entry(
        alice,
        Treatment,
        medicine="Amoxicilline",
        start_date=today - 30 * days,
        end_date=today - 20 * days,
    )
    add_entry(alice, Treatment, medicine="Metformine", start_date=today - 900 * days)
    add_entry(
        alice, Measure, kind="weight", value=Decimal("70"), measured_at=timezone.now() - 500 * days
    )

    page = bob_client.get(reverse("pro:dashboard", args=[alice.pk]))

    content = page.content.decode()
    order = [
        content.index(word)
        for word in ("Pénicilline", "Pollen", "Diabète", "Grippe", "Metformine", "Amoxicilline")
    ]
    assert order == sorted(order)
    assert content.index("Synthèse clinique") < content.index("Dernières mesures")
    assert "sévère" in content and "(arrêté)" in content and "(guérie)" in content
    assert [label for label, _m in page.context["latest_measures"]] == []  # 500 days old
