"""The clinical summary's "Documents récents": the documents app's card on a
professional's dashboard (``records.panels``), read through the access policy.

alice is the patient, bob her GP by a care relationship, charlie a GP with no
link to her. Documents are deposited and ingested for real, without clamd.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from consent.models import AccessLog
from consent.policy import RecordAccess, own_record_access, professional_record_access
from documents import services
from documents.ingestion.types import DocumentType
from documents.models import Document
from messpace.accounts.models import Professional, User
from records.models import Patient
from records.sections import SECTIONS_BY_KEY
from tests.documents.test_documents import pdf_bytes
from tests.factories import (
    CareRelationshipFactory,
    CarerGrantFactory,
    ProfessionalFactory,
    UserFactory,
)
from tests.records.test_query_counts import PATIENT_DASHBOARD, PRO_DASHBOARD_PANELS, PRO_EXTRA

Login = Callable[[Client, User], Client]
CARD = 'id="recent-documents"'
# The professional dashboard's pinned bound, as in tests/records/test_query_counts.py.
PRO_DASHBOARD = PATIENT_DASHBOARD + PRO_EXTRA + PRO_DASHBOARD_PANELS
START = dt.date(2024, 1, 1)


@pytest.fixture(autouse=True)
def _no_scanner(media: Path, scanner_off: None) -> Path:
    """Blobs in this test's own folder, accepted unscanned (no clamd needed)."""
    return media


def deposit(
    access: RecordAccess, title: str, act_date: dt.date, doc_type: str = DocumentType.CR_BIOLOGIE
) -> Document:
    """A document deposited through the service and ingested (encrypted, indexed)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.document_deposit(
            access=access,
            content=pdf_bytes(title),
            filename="document.pdf",
            declared_mime="application/pdf",
            doc_type=doc_type,
            title=title,
            act_date=act_date,
        )
    return Document.objects.get(upload=result.upload)


def alice_deposits(alice: Patient, count: int) -> list[Document]:
    """``count`` documents of alice's, a day apart, oldest first."""
    assert alice.user is not None
    access = own_record_access(alice.user)
    return [deposit(access, f"Bilan {n:02d}", START + dt.timedelta(days=n)) for n in range(count)]


def card_documents(response: Any) -> list[Document]:
    (panel,) = response.context["panels"]
    return list(panel.context["documents"])


def card_html(content: str) -> str:
    """The card's markup, up to its last link (to the documents list)."""
    return content.split(CARD, 1)[1].split("Voir tous les documents", 1)[0]


def card_titles(content: str) -> list[str]:
    """The titles of the dashboard's cards, in page order."""
    return re.findall(r'<h3 class="fr-card__title">(?:<a [^>]*>)?([^<]+)', content)


def _pro_dashboard(alice: Patient) -> str:
    return reverse("pro:dashboard", args=[alice.pk])


def test_the_clinical_summary_lists_the_five_latest_documents_after_the_treatments(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    """GIVEN seven documents of alice's, a day apart
    WHEN bob, her GP, opens her dashboard
    THEN a "Documents récents" card right after the treatments (and before the
    measures) lists the five latest, newest first, with their type, date and author.
    """
    documents = alice_deposits(alice, 7)

    response = bob_client.get(_pro_dashboard(alice))

    assert response.status_code == 200
    newest = documents[:1:-1]
    assert card_documents(response) == newest
    content = response.content.decode()
    titles = card_titles(content)
    lead = [str(SECTIONS_BY_KEY[key].title) for key in ("allergy", "condition", "treatment")]
    assert titles[:4] == [*lead, "Documents récents"]
    assert content.index(CARD) < content.index("Dernières mesures")
    card = card_html(content)
    assert re.findall(r"Bilan \d\d", card) == [d.title for d in newest]
    assert escape(str(DocumentType.CR_BIOLOGIE.label)) in card
    assert "07/01/2024" in card  # "Bilan 06", dated as the list dates it
    assert escape(f"Auteur : {newest[0].author_label}") in card


def test_the_cards_links_open_each_document_and_the_list_in_the_pro_space(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    documents = alice_deposits(alice, 2)
    bob_access = professional_record_access(bob.user, alice.pk)
    deposit(bob_access, "Compte rendu de Bob", START + dt.timedelta(days=10))

    response = bob_client.get(_pro_dashboard(alice))

    hrefs = re.findall(r'href="([^"]+)"', card_html(response.content.decode()))
    shown = card_documents(response)
    assert [d.title for d in shown] == ["Compte rendu de Bob", "Bilan 01", "Bilan 00"]
    assert shown[1:] == documents[::-1]
    details = [reverse("pro_documents:detail", args=[alice.pk, d.pk]) for d in shown]
    listing = reverse("pro_documents:list", args=[alice.pk])
    assert hrefs == [*details, listing]
    for href in hrefs:
        assert bob_client.get(href).status_code == 200
    assertContains(bob_client.get(listing), "Compte rendu de Bob")


def test_a_document_the_patient_hid_never_shows_on_the_professionals_card(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    """GIVEN alice hides her newest document from professionals, and also one bob wrote
    THEN bob's card leaves hers out (without a trace) but keeps his own: a hidden item
    stays visible to its author."""
    assert alice.user is not None
    alice_access = own_record_access(alice.user)
    assert not professional_record_access(bob.user, alice.pk).sees_hidden
    older = alice_deposits(alice, 2)
    secret = deposit(alice_access, "Consultation confidentielle", START + dt.timedelta(days=30))
    services.document_visibility_set(access=alice_access, document=secret, hidden=True)
    his = deposit(
        professional_record_access(bob.user, alice.pk), "Courrier de Bob", START + dt.timedelta(20)
    )
    services.document_visibility_set(access=alice_access, document=his, hidden=True)

    response = bob_client.get(_pro_dashboard(alice))

    assert card_documents(response) == [his, older[1], older[0]]
    assertNotContains(response, "Consultation confidentielle")
    assertNotContains(response, reverse("pro_documents:detail", args=[alice.pk, secret.pk]))


def test_a_physiotherapist_sees_only_the_document_types_of_their_profession(
    client: Client, login: Login, alice: Patient
) -> None:
    """The profession matrix applies: a physiotherapist sees imaging, not biology."""
    physio = ProfessionalFactory(profession="kinesitherapeute")
    CareRelationshipFactory(professional=physio, patient=alice)
    assert alice.user is not None
    access = own_record_access(alice.user)
    imaging = deposit(access, "Radio du genou", START, doc_type=DocumentType.CR_IMAGERIE)
    deposit(access, "Bilan sanguin", START + dt.timedelta(days=1))

    response = login(client, physio.user).get(_pro_dashboard(alice))

    assert card_documents(response) == [imaging]
    assertNotContains(response, "Bilan sanguin")


def test_a_professional_without_a_basis_still_gets_404_for_the_dashboard(
    alice: Patient, charlie_client: Client
) -> None:
    alice_deposits(alice, 1)

    assert charlie_client.get(_pro_dashboard(alice)).status_code == 404
    assert not AccessLog.objects.exists()


def test_the_card_says_so_when_there_is_no_document(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    response = bob_client.get(_pro_dashboard(alice))

    assert card_documents(response) == []
    assertContains(response, "Aucun document dans ce dossier pour l’instant.")
    assertContains(response, reverse("pro_documents:list", args=[alice.pk]))


def test_the_patients_and_the_carers_dashboards_keep_their_documents_in_the_latest_events(
    client: Client, login: Login, alice: Patient, alice_client: Client
) -> None:
    """The card belongs to the clinical summary: the patient's and a carer's
    dashboards show the same documents among their latest events."""
    alice_deposits(alice, 1)
    carol = UserFactory()
    CarerGrantFactory(patient=alice, carer=carol, sections=["document"])

    own = alice_client.get(reverse("records:dashboard"))
    as_carer = login(Client(), carol).get(reverse("carer:dashboard", args=[alice.pk]))

    for response in (own, as_carer):
        assert response.status_code == 200
        assert response.context["panels"] == []
        assertNotContains(response, CARD)
        assertContains(response, "Bilan 00")


def test_the_dashboard_is_logged_once_and_the_card_adds_no_row(
    alice: Patient, bob: Professional, bob_client: Client
) -> None:
    """The card lists metadata as the documents list does, under the page's one READ
    row ("dashboard"); opening a document from it logs that document."""
    (document,) = alice_deposits(alice, 1)

    bob_client.get(_pro_dashboard(alice))
    bob_client.get(reverse("pro_documents:detail", args=[alice.pk, document.pk]))

    rows = AccessLog.objects.filter(patient=alice, actor=bob.user).order_by("pk")
    assert [(row.what, row.object_id) for row in rows] == [
        ("dashboard", None),
        ("document", document.pk),
    ]


def test_the_cards_query_count_does_not_grow_with_the_number_of_documents(
    alice: Patient, bob: Professional, bob_client: Client, django_assert_max_num_queries: Any
) -> None:
    """GIVEN alice has one document, and bob's dashboard is measured
    WHEN eleven more are added, versions among them
    THEN the dashboard makes exactly as many queries, under the pinned bound.
    """
    url = _pro_dashboard(alice)
    alice_deposits(alice, 1)
    bob_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        bob_client.get(url)

    bob_access = professional_record_access(bob.user, alice.pk)
    first = deposit(bob_access, "CR v1", START + dt.timedelta(days=40))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.document_deposit(
            access=bob_access,
            content=pdf_bytes("CR v2"),
            filename="cr.pdf",
            declared_mime="application/pdf",
            doc_type=DocumentType.CR_BIOLOGIE,
            title="CR v2",
            act_date=START + dt.timedelta(days=41),
            replaces=first,
        )
    for n in range(1, 11):
        deposit(bob_access, f"Ordonnance {n:02d}", START + dt.timedelta(days=n))
    with django_assert_max_num_queries(PRO_DASHBOARD) as many:
        response = bob_client.get(url)

    assert len(one.captured_queries) == len(many.captured_queries)
    assert Document.live.filter(patient=alice).count() == 13
    assert [d.title for d in card_documents(response)][:2] == ["CR v2", "Ordonnance 10"]


def test_the_card_follows_the_treatments_when_a_profession_sees_no_conditions(
    client: Client, login: Login, alice: Patient
) -> None:
    """A pharmacist's summary leads with allergies and treatments only: the card comes next."""
    pharmacist = ProfessionalFactory(profession="pharmacien")
    CareRelationshipFactory(professional=pharmacist, patient=alice)
    alice_deposits(alice, 1)

    response = login(client, pharmacist.user).get(_pro_dashboard(alice))

    lead = [str(SECTIONS_BY_KEY[key].title) for key in ("allergy", "treatment")]
    assert card_titles(response.content.decode())[:3] == [*lead, "Documents récents"]
