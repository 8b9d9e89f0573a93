"""Who may deposit, delete or replace a document: one rule on ``RecordAccess`` that
every door asks (pages, API, services), and deduplication that reveals nothing.

alice is the patient, bob her GP by a care relationship (he deposits through the
API), charlie an unrelated GP; the others are named for their profession.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.authtoken.models import Token

from consent import services as consent_services
from consent.policy import (
    RecordAccess,
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from documents import services
from documents.models import Document, Upload
from messpace.accounts.models import Professional, User
from records.models import Patient
from tests.documents.test_documents import pdf_bytes
from tests.factories import (
    CareRelationshipFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
)

Login = Callable[[Client, User], Client]
PRESCRIPTION = "57833-6"
BIOLOGY = "11502-2"
RECEIVED = "Le document a été reçu : il apparaîtra dans le dossier dès qu’il aura été vérifié."
ALREADY = "Ce document avait déjà été déposé : il n’a pas été ajouté deux fois."
NO_RECORD = {"detail": "Aucun dossier ne correspond à ces informations."}
NO_UPLOAD = {"detail": "Dépôt introuvable."}


@pytest.fixture(autouse=True)
def _media(media: Path, scanner: str) -> Path:
    """Blobs in this test's own folder, scanned by the real clamd."""
    return media


def committed(call: Callable[[], Any]) -> Any:
    """Run ``call`` and then what it queued for after the commit (ingestion)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


def token_of(user: User) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def api_deposit(client: Client, user: User, patient: Patient, content: bytes, **fields: Any) -> Any:
    data = {
        "ins": patient.nir,
        "birth_date": patient.birth_date.isoformat(),
        "doc_type": PRESCRIPTION,
        "title": "Ordonnance",
        "act_date": "2024-04-01",
        "file": SimpleUploadedFile("o.pdf", content, content_type="application/pdf"),
        **fields,
    }
    return committed(
        lambda: client.post(
            reverse("api:document_deposit"), data, HTTP_AUTHORIZATION=f"Token {token_of(user)}"
        )
    )


def upload_status(client: Client, user: User, upload_id: str) -> Any:
    return client.get(
        reverse("api:upload_status", args=[upload_id]),
        HTTP_AUTHORIZATION=f"Token {token_of(user)}",
    )


def page_deposit(client: Client, url: str, record: Patient, content: bytes, **fields: str) -> Any:
    """Post the deposit form and follow to the page that shows its message."""
    data = {
        "record": str(record.pk),
        "doc_type": fields.get("doc_type", PRESCRIPTION),
        "title": fields.get("title", "Ordonnance"),
        "act_date": "2024-03-02",
        "author_label": "",
        "file": SimpleUploadedFile("d.pdf", content, content_type="application/pdf"),
    }
    return committed(lambda: client.post(url, data, follow=True))


def page_messages(response: Any) -> list[str]:
    """The messages the page showed (each shown once, so only this request's)."""
    return [str(m) for m in response.context["messages"]]


def deposit_as(access: RecordAccess, content: bytes, **fields: Any) -> services.Deposit:
    return committed(
        lambda: services.document_deposit(
            access=access,
            content=content,
            filename="x.pdf",
            declared_mime="application/pdf",
            doc_type=fields.pop("doc_type", PRESCRIPTION),
            title=fields.pop("title", "Ordonnance"),
            act_date=dt.date(2024, 1, 5),
            **fields,
        )
    )


def without_ids(payload: dict[str, Any]) -> dict[str, Any]:
    """An API answer without what differs between any two deposits: ids and URLs."""
    return {k: v for k, v in payload.items() if k not in {"upload", "status_url"}}


@pytest.fixture
def physio(db: None) -> Professional:
    return ProfessionalFactory(profession="kinesitherapeute")  # type: ignore[no-any-return]


@pytest.fixture
def pharmacist(alice: Patient) -> Professional:
    pro = ProfessionalFactory(profession="pharmacien")
    CareRelationshipFactory(professional=pro, patient=alice)
    return pro  # type: ignore[no-any-return]


def _share(patient: Patient, professional: Professional, sections: list[str]) -> None:
    consent_services.share_grant(
        access=own_record_access(patient.user),  # type: ignore[arg-type]
        professional=professional,
        sections=sections,
        expires_at=None,
    )


# --- 1. Who may deposit: one rule, every door -------------------------------------------


def test_a_physio_whose_share_leaves_out_documents_may_deposit_through_no_door(
    client: Client, login: Login, alice: Patient, physio: Professional
) -> None:
    """GIVEN alice shares her allergies only with a physiotherapist
    WHEN he tries the deposit page, the API and the service
    THEN the page and the API answer 404 (the API as for an unknown patient), the
    service refuses, and nothing is stored."""
    _share(alice, physio, ["allergy"])
    access = professional_record_access(physio.user, alice.pk)
    pro = login(Client(), physio.user)

    page = pro.get(reverse("pro_documents:deposit", args=[alice.pk]))
    posted = page_deposit(
        pro, reverse("pro_documents:deposit", args=[alice.pk]), alice, pdf_bytes("kine")
    )
    assert not posted.redirect_chain
    api = api_deposit(client, physio.user, alice, pdf_bytes("kine"))
    unknown = api_deposit(
        client, physio.user, PatientUserFactory.build(nir="279035121518989"), pdf_bytes("kine")
    )

    assert not access.may_deposit()
    assert page.status_code == 404 and posted.status_code == 404
    assert api.status_code == 404 == unknown.status_code
    assert api.json() == unknown.json() == NO_RECORD
    with pytest.raises(PermissionDenied):
        deposit_as(access, pdf_bytes("kine"))
    assert not Upload.objects.exists()


def test_a_physio_sharing_documents_deposits_and_follows_the_upload_until_the_share_ends(
    client: Client, alice: Patient, physio: Professional
) -> None:
    _share(alice, physio, ["document"])
    deposit = api_deposit(client, physio.user, alice, pdf_bytes("kine"))
    assert deposit.status_code == 202, deposit.content
    upload_id = deposit.json()["upload"]
    assert upload_status(client, physio.user, upload_id).json()["state"] == "done"

    # The patient narrows the share to her allergies: no more documents, no status.
    _share(alice, physio, ["allergy"])
    narrowed = upload_status(client, physio.user, upload_id)
    consent_services.share_revoke(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        professional_id=physio.pk,
    )
    revoked = upload_status(client, physio.user, upload_id)

    assert narrowed.status_code == 404 and narrowed.json() == NO_UPLOAD
    assert revoked.status_code == 404 and revoked.json() == NO_UPLOAD


def test_the_upload_status_answers_404_once_the_patient_blocks_its_depositor(
    client: Client, alice: Patient, bob: Professional
) -> None:
    upload_id = api_deposit(client, bob.user, alice, pdf_bytes("bob")).json()["upload"]
    assert upload_status(client, bob.user, upload_id).status_code == 200

    consent_services.block_add(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        professional=bob,
    )
    blocked = upload_status(client, bob.user, upload_id)

    assert blocked.status_code == 404 and blocked.json() == NO_UPLOAD
    assert Upload.objects.filter(pk=upload_id).exists()  # refusing changes nothing


def test_a_read_only_carer_sees_documents_but_may_not_deposit(
    client: Client, alice: Patient
) -> None:
    _grant, token = consent_services.carer_invite(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        email="carol@exemple.fr",
        sections=["document"],
        can_write=False,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    carol = UserFactory(email="carol@exemple.fr")
    consent_services.carer_accept(user=carol, token=token)
    client.force_login(carol)
    access = carer_record_access(carol, alice.pk)

    listing = client.get(reverse("carer_documents:list", args=[alice.pk]))
    page = client.get(reverse("carer_documents:deposit", args=[alice.pk]))

    assert access.sees_documents() and not access.may_deposit()
    assert listing.status_code == 200
    assertNotContains(listing, reverse("carer_documents:deposit", args=[alice.pk]))
    assert page.status_code == 403
    with pytest.raises(PermissionDenied):
        deposit_as(access, pdf_bytes("carol"))


# --- 2. Who may delete or replace: one rule --------------------------------------------


def test_one_rule_says_who_may_delete_or_replace_and_every_door_follows_it(
    client: Client, login: Login, alice: Patient, bob: Professional, pharmacist: Professional
) -> None:
    alice_access = own_record_access(alice.user)  # type: ignore[arg-type]
    deposit_as(alice_access, pdf_bytes("mien"), doc_type="EXPPAT_2", title="Le mien")
    mine = Document.objects.get(patient=alice, title="Le mien")
    api_deposit(client, bob.user, alice, pdf_bytes("v1"), title="CR v1")
    v1 = Document.objects.get(patient=alice, title="CR v1")
    api_deposit(client, bob.user, alice, pdf_bytes("v2"), title="CR v2", replaces=v1.pk)
    v1.refresh_from_db()
    v2 = Document.objects.get(patient=alice, title="CR v2")
    bob_access = professional_record_access(bob.user, alice.pk)
    pharma_access = professional_record_access(pharmacist.user, alice.pk)

    # The rule.
    assert alice_access.may_delete_document(mine)
    assert not alice_access.may_delete_document(v2)
    assert not any(alice_access.may_replace_document(d) for d in (mine, v1, v2))
    assert bob_access.may_replace_document(v2)
    assert not bob_access.may_replace_document(v1)  # not the current version
    assert not bob_access.may_delete_document(v2)
    assert not pharma_access.may_replace_document(v2)  # not its author

    # The buttons.
    alice_client = login(Client(), alice.user)  # type: ignore[arg-type]
    delete_url = reverse("documents:delete", args=[mine.pk])
    assertContains(alice_client.get(reverse("documents:detail", args=[mine.pk])), delete_url)
    assertNotContains(
        alice_client.get(reverse("documents:detail", args=[v2.pk])),
        reverse("documents:delete", args=[v2.pk]),
    )
    bob_client = login(Client(), bob.user)
    pharma_client = login(Client(), pharmacist.user)
    v2_version = reverse("pro_documents:new_version", args=[alice.pk, v2.pk])
    v1_version = reverse("pro_documents:new_version", args=[alice.pk, v1.pk])
    detail = reverse("pro_documents:detail", args=[alice.pk, v2.pk])
    assertContains(bob_client.get(detail), v2_version)
    assertNotContains(
        bob_client.get(reverse("pro_documents:detail", args=[alice.pk, v1.pk])), v1_version
    )
    assertNotContains(pharma_client.get(detail), v2_version)

    # The pages and the services.
    assert bob_client.get(v2_version).status_code == 200
    assert bob_client.get(v1_version).status_code == 403
    assert pharma_client.get(v2_version).status_code == 403
    assert alice_client.get(reverse("documents:new_version", args=[mine.pk])).status_code == 403
    assert alice_client.get(reverse("documents:delete", args=[v2.pk])).status_code == 403
    assert alice_client.post(reverse("documents:delete", args=[v2.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.document_delete(access=alice_access, document=v2)
    stale = api_deposit(client, bob.user, alice, pdf_bytes("v3"), replaces=v1.pk)
    foreign = api_deposit(client, pharmacist.user, alice, pdf_bytes("p"), replaces=v2.pk)
    assert stale.status_code == 400 and "replaces" in stale.json()
    assert foreign.status_code == 400 and "replaces" in foreign.json()
    with pytest.raises(ValidationError):
        deposit_as(pharma_access, pdf_bytes("p"), replaces=v2)
    assert Document.live.filter(patient=alice).count() == 3
    assert Document.objects.get(pk=v2.pk).is_current


# --- 3. Deduplication reveals nothing --------------------------------------------------


def test_the_same_bytes_as_a_hidden_document_are_a_new_deposit_like_any_other(
    client: Client, alice: Patient, bob: Professional, pharmacist: Professional
) -> None:
    """GIVEN bob's prescription, hidden by alice from every professional but him and
    her GP WHEN her pharmacist deposits the same bytes THEN he gets exactly the answer
    of a deposit of new bytes, and the document is his own."""
    content = pdf_bytes("ordonnance cachee")
    api_deposit(client, bob.user, alice, content, title="De bob")
    hidden = Document.objects.get(patient=alice)
    services.document_visibility_set(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        document=hidden,
        hidden=True,
    )

    same = api_deposit(client, pharmacist.user, alice, content, title="Du pharmacien")
    fresh = api_deposit(client, pharmacist.user, alice, pdf_bytes("autre"), title="Autre")
    again = api_deposit(client, pharmacist.user, alice, content, title="Du pharmacien")

    assert same.status_code == fresh.status_code == 202
    assert set(same.json()) == set(fresh.json())
    assert without_ids(same.json()) == without_ids(fresh.json())
    theirs = Upload.objects.get(pk=same.json()["upload"])
    assert theirs.depositor_id == pharmacist.user.pk
    document = Document.objects.get(upload=theirs)
    assert document.author_id == pharmacist.user.pk and document.title == "Du pharmacien"
    # A retry answers his own upload, as any idempotent retry does.
    assert again.status_code == 200 and again.json()["upload"] == same.json()["upload"]
    assert Upload.objects.filter(patient=alice, sha256=theirs.sha256).count() == 2


def test_the_same_bytes_as_a_document_outside_the_matrix_get_the_fresh_deposit_message(
    login: Login, client: Client, alice: Patient, bob: Professional, physio: Professional
) -> None:
    content = pdf_bytes("bilan sanguin")
    api_deposit(client, bob.user, alice, content, doc_type=BIOLOGY, title="Bilan")
    CareRelationshipFactory(professional=physio, patient=alice)
    assert not professional_record_access(physio.user, alice.pk).documents().exists()
    pro = login(Client(), physio.user)
    url = reverse("pro_documents:deposit", args=[alice.pk])

    same = page_deposit(pro, url, alice, content)
    fresh = page_deposit(pro, url, alice, pdf_bytes("autre chose"))

    assert same.status_code == fresh.status_code == 200
    assert same.redirect_chain == fresh.redirect_chain
    assert page_messages(same) == page_messages(fresh) == [RECEIVED]
    assert Document.objects.filter(patient=alice, author=physio.user).count() == 2


def test_a_guardian_depositing_the_bytes_of_a_document_kept_from_guardians_learns_nothing(
    login: Login, client: Client, bob: Professional
) -> None:
    teen = PatientUserFactory(birth_date=dt.date.today() - dt.timedelta(days=16 * 365 + 30))
    parent = UserFactory()
    consent_services.guardianship_add(patient=teen, guardian=parent)
    CareRelationshipFactory(professional=bob, patient=teen)
    content = pdf_bytes("contraception")
    api_deposit(client, bob.user, teen, content, title="Pilule")
    kept = Document.objects.get(patient=teen)
    services.document_guardian_confidentiality_set(
        access=professional_record_access(bob.user, teen.pk), document=kept, confidential=True
    )
    assert not guardian_record_access(parent, teen.pk).documents().exists()
    parent_client = login(Client(), parent)
    parent_client.post(reverse("records:act_for", args=[teen.pk]), follow=True)
    url = reverse("documents:deposit")

    same = page_deposit(parent_client, url, teen, content, title="Mon scan")
    fresh = page_deposit(parent_client, url, teen, pdf_bytes("carnet"), title="Carnet")

    assert same.status_code == fresh.status_code == 200
    assert same.redirect_chain == fresh.redirect_chain
    assert page_messages(same) == page_messages(fresh) == [RECEIVED]
    assert Document.objects.filter(patient=teen, author=parent).count() == 2
    assert Document.objects.get(pk=kept.pk).confidential_from_guardians


def test_who_may_see_the_existing_document_is_still_told_it_is_a_duplicate(
    login: Login, client: Client, alice: Patient, bob: Professional, pharmacist: Professional
) -> None:
    content = pdf_bytes("ordonnance visible")
    api_deposit(client, bob.user, alice, content)

    by_api = api_deposit(client, pharmacist.user, alice, content)
    by_page = page_deposit(
        login(Client(), alice.user),  # type: ignore[arg-type]
        reverse("documents:deposit"),
        alice,
        content,
        doc_type="EXPPAT_2",
    )

    assert by_api.status_code == 200
    assert by_api.json() == {
        "state": "already_deposited",
        "detail": "Ce document figure déjà dans le dossier.",
    }
    assert page_messages(by_page) == [ALREADY]
    assert Upload.objects.filter(patient=alice).count() == 1


def test_the_database_keeps_one_live_upload_per_depositor_and_content(
    client: Client, alice: Patient, bob: Professional, pharmacist: Professional
) -> None:
    content = pdf_bytes("course")
    api_deposit(client, bob.user, alice, content)
    services.document_visibility_set(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        document=Document.objects.get(patient=alice),
        hidden=True,
    )
    api_deposit(client, pharmacist.user, alice, content)
    pharmacist_upload = Upload.objects.get(depositor=pharmacist.user)

    copy = Upload(
        **{
            f.attname: getattr(pharmacist_upload, f.attname)
            for f in Upload._meta.concrete_fields
            if f.name != "id"
        }
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
