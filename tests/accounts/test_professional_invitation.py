"""A professional of the directory, without a login, joins the portal by invitation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from messpace.accounts.models import Profession, Professional, User
from messpace.accounts.services import professional_invite
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-solide-2026"


@pytest.fixture
def admin_user() -> User:
    """An admin of the console (staff, not a technical superuser)."""
    return UserFactory(email="admin@exemple.fr", is_staff=True)


@pytest.fixture
def garnier() -> Professional:
    """As the directory's import makes her: an identity, no login."""
    return Professional.objects.create(
        rpps="10100000016",
        first_name="Hélène",
        last_name="Garnier",
        profession=Profession.GENERAL_PRACTITIONER,
    )


def _link(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/compte/activer/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_invited_professional_chooses_a_password_and_signs_in_with_two_factors(
    client: Client, login: Any, admin_user: User, garnier: Professional
) -> None:
    admin = login(Client(), admin_user)
    found = admin.get(reverse("console-directory:professionals"), {"q": "10100000016"})
    page = admin.get(reverse("console-directory:professional", args=[garnier.pk]))
    assert reverse("console-directory:professional", args=[garnier.pk]) in found.content.decode()
    assert "Inviter à rejoindre le portail" in page.content.decode()
    refused = admin.post(
        reverse("console-directory:professional_invite", args=[garnier.pk]), {"email": "x@"}
    )
    assert refused.status_code == 400 and "Adresse électronique non valide." in (
        refused.content.decode()
    )
    assert not mail.outbox

    sent = admin.post(
        reverse("console-directory:professional_invite", args=[garnier.pk]),
        {"email": "Helene.Garnier@exemple.fr"},
    )

    assert sent.status_code == 302
    garnier.refresh_from_db()
    assert garnier.user is not None and garnier.user.email == "helene.garnier@exemple.fr"
    assert not garnier.user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["helene.garnier@exemple.fr"]
    assert "Dr Hélène Garnier" in mail.outbox[0].body
    link = _link(mail.outbox[0])
    form = client.get(link, follow=True)
    assert form.status_code == 200
    chosen = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert chosen.status_code == 302
    garnier.user.refresh_from_db()
    assert garnier.user.check_password(PASSWORD)
    assert garnier.user.is_professional and garnier.user.requires_two_factor
    # The link served once.
    again = client.get(link, follow=True)
    assert "n’est plus valable" in again.content.decode()
    joined = admin.get(reverse("console-directory:professional", args=[garnier.pk]))
    assert "Oui, en service" in joined.content.decode()
    assert "Envoyer l’invitation" not in joined.content.decode()


def test_an_address_of_another_account_or_a_joined_professional_changes_nothing(
    admin_user: User, garnier: Professional
) -> None:
    UserFactory(email="pris@exemple.fr")
    with pytest.raises(ValidationError, match="autre compte"):
        professional_invite(by=admin_user, professional=garnier, email="PRIS@exemple.fr")
    garnier.refresh_from_db()
    assert garnier.user is None and mail.outbox == []

    joined = ProfessionalFactory()
    with pytest.raises(ValidationError, match="déjà un compte"):
        professional_invite(by=admin_user, professional=joined, email="autre@exemple.fr")
    with pytest.raises(ValidationError, match="non valide"):
        professional_invite(by=admin_user, professional=garnier, email="pas une adresse")
    assert mail.outbox == []


def test_inviting_again_before_the_link_is_used_moves_the_login_to_the_new_address(
    admin_user: User, garnier: Professional
) -> None:
    first = professional_invite(by=admin_user, professional=garnier, email="faute@exemple.fr")
    second = professional_invite(by=admin_user, professional=garnier, email="bonne@exemple.fr")

    assert first.pk == second.pk
    assert User.objects.get(pk=first.pk).email == "bonne@exemple.fr"
    assert not User.objects.filter(email="faute@exemple.fr").exists()
    assert [m.to for m in mail.outbox] == [["faute@exemple.fr"], ["bonne@exemple.fr"]]


def test_only_an_admin_invites(garnier: Professional, login: Any) -> None:
    agent = UserFactory(is_support_agent=True)
    with pytest.raises(PermissionDenied):
        professional_invite(by=agent, professional=garnier, email="x@exemple.fr")
    posted = login(Client(), agent).post(
        reverse("console-directory:professional_invite", args=[garnier.pk]),
        {"email": "x@exemple.fr"},
    )
    assert posted.status_code == 404
    garnier.refresh_from_db()
    assert garnier.user is None and not mail.outbox
