"""The error summary above forms (``templates/_form_errors.html``).

A form sent back with errors opens with one announced alert (``role="alert"``)
that says what went wrong and what did not happen, and links to each field in
error, so keyboard and screen-reader users reach them without hunting.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from consent.models import CareRelationship
from records.lifecycle.models import Record, RecordState
from records.models import Condition, Patient
from tests.factories import DEFAULT_PASSWORD

GENERAL = "Le formulaire contient des erreurs : corrigez les champs signalés."
SUMMARY = re.compile(
    r'<div class="fr-alert fr-alert--error fr-mb-3w" role="alert">(?P<body>.*?)</div>', re.S
)

pytestmark = pytest.mark.django_db


def summary(html: str) -> str:
    match = SUMMARY.search(html)
    assert match, "no error summary on the page"
    return match["body"]


def test_a_field_error_is_summarised_with_a_link_to_the_field_and_nothing_is_saved(
    alice_client: Client,
) -> None:
    """
    GIVEN alice adds a condition without its name
    WHEN the form comes back
    THEN the summary says nothing was saved and links to the name field, which
    the page holds under that id; no condition is stored.
    """
    response = alice_client.post(reverse("records:section_add", args=["maladies"]), {})

    assert response.status_code == 200
    form = response.context["form"]
    field = form["label"]
    assert field.errors
    html = response.content.decode()
    body = summary(html)
    assert f"{GENERAL} Rien n’a été enregistré." in body
    assert f'<a href="#{field.auto_id}">{field.label}</a>' in body
    assert f'id="{field.auto_id}"' in html
    # One link per field in error, none for the others.
    assert body.count("<a href=") == len(form.errors)
    assert Condition.objects.count() == 0


def test_a_form_without_errors_shows_no_summary(alice_client: Client) -> None:
    response = alice_client.get(reverse("records:section_add", args=["maladies"]))

    assert response.status_code == 200
    assert not SUMMARY.search(response.content.decode())


def test_the_outcome_sentence_is_the_pages_own(alice: Patient, alice_client: Client) -> None:
    response = alice_client.post(reverse("records:close"), {"password": DEFAULT_PASSWORD})

    body = summary(response.content.decode())
    assert f"{GENERAL} Le dossier n’a pas été fermé." in body
    assert "Rien n’a été enregistré." not in body
    assert '<a href="#id_understood">' in body
    assert Record.objects.get(patient=alice).state == RecordState.ACTIVE


def test_non_field_errors_replace_the_general_sentence(
    alice: Patient, charlie_client: Client
) -> None:
    response = charlie_client.post(
        reverse("pro:care_relationship_declare"),
        {
            "nir": alice.nir,
            "birth_date": (alice.birth_date - dt.timedelta(days=1)).isoformat(),
            "consent": "on",
        },
    )

    body = summary(response.content.decode())
    assert "<p>Aucun dossier ne correspond à ces informations.</p>" in body
    assert GENERAL not in body
    assert "<a href=" not in body  # no field is in error
    assert not CareRelationship.objects.exists()


def test_a_radio_group_in_error_links_to_its_first_option(client: Client) -> None:
    """GIVEN the public notice page sent empty WHEN it comes back THEN the link for
    the choice (radio buttons, no element bears the field's own id) goes to the
    first option, which the page holds."""
    # An empty POST would leave the form unbound: send one blank field.
    response = client.post(reverse("notice_answer"), {"code": ""})

    html = response.content.decode()
    body = summary(html)
    assert '<a href="#id_choice_0">Votre choix</a>' in body
    assert 'id="id_choice_0"' in html
    assert '<a href="#id_code">Code personnel</a>' in body
