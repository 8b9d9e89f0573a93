"""The Django admin is the technical superusers' alone: operators are sent to
their console, everyone else to the site's login or home, and no admin page
(nor its login form) is served to them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from messpace.accounts.models import User
from tests.factories import PatientUserFactory, UserFactory

pytestmark = pytest.mark.django_db
Login = Callable[[Client, User], Client]

PAGES = [
    "/admin/",
    "/admin/optout/campaign/",
    "/admin/documents/upload/",
    "/admin/directory/structure/",
]


def test_a_superuser_reads_the_admin(login: Login) -> None:
    technical = login(Client(), UserFactory(is_staff=True, is_superuser=True))

    for url in PAGES:
        response = technical.get(url)
        assert response.status_code == 200, url
    assert "Administration technique de messpace" in technical.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["staff", "support"])
def test_an_operator_is_sent_to_the_console_and_told_why(login: Login, role: str) -> None:
    operator = login(
        Client(),
        UserFactory(is_staff=role == "staff", is_support_agent=role == "support"),
    )

    for url in PAGES:
        response = operator.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    landed = operator.get("/admin/optout/campaign/", follow=True)

    assert landed.redirect_chain[-1][0] == reverse("console:home")
    assert "L’administration technique est réservée à l’équipe technique" in (
        landed.content.decode()
    )


def test_a_patient_goes_home_and_a_visitor_to_the_sites_login(login: Login) -> None:
    patient = login(Client(), PatientUserFactory().user)

    followed = patient.get("/admin/", follow=True)
    anonymous = Client().get("/admin/optout/campaign/", follow=True)

    assert followed.redirect_chain[-1][0] in {reverse("home"), reverse("records:dashboard")}
    assert "Administration" not in followed.content.decode().split("<main")[1]
    assert anonymous.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "next=%2Fadmin%2Foptout%2Fcampaign%2F" in anonymous.redirect_chain[-1][0]
    # The admin's own login form is never served: the site's login, with its second factor.
    assert (
        Client().post(reverse("admin:login"), {"username": "x", "password": "y"}).status_code == 302
    )


def test_a_superuser_needs_staff_status_and_a_second_factor() -> None:
    """Unticking *staff* takes the admin away too, and a superuser always signs in
    with a second factor."""
    bare = UserFactory(is_superuser=True, is_staff=False)
    client = Client()
    client.force_login(bare)

    assert bare.requires_two_factor
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/optout/campaign/").status_code == 302


def test_the_admins_login_address_sends_a_superuser_on_and_nowhere_else(login: Login) -> None:
    technical = login(Client(), UserFactory(is_staff=True, is_superuser=True))

    onward = technical.get(reverse("admin:login"), {"next": "/admin/optout/campaign/"})
    offsite = technical.get(reverse("admin:login"), {"next": "https://pirate.example/"})

    assert onward["Location"] == "/admin/optout/campaign/"
    assert offsite["Location"] == reverse("admin:index")
