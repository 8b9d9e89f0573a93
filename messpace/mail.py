"""Notices by e-mail: French, with a text and an HTML part, from ``emails/<name>_*`` templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def notice_email(template: str, context: dict[str, Any], to: str) -> EmailMultiAlternatives:
    """The message, in the site's language whatever the request that queued it used."""
    with translation.override(settings.LANGUAGE_CODE):
        message = EmailMultiAlternatives(
            subject=render_to_string(f"emails/{template}_subject.txt", context).strip(),
            body=render_to_string(f"emails/{template}_body.txt", context),
            to=[to],
        )
        message.attach_alternative(
            render_to_string(f"emails/{template}_body.html", context), "text/html"
        )
    return message
