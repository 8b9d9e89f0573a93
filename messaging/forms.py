"""Forms of the messaging pages; the rules (lengths, plain text) are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from messpace.forms import MesspaceForm


class ThreadStartForm(MesspaceForm):
    subject = forms.CharField(
        label=_("Objet"),
        help_text=_("Il apparaît dans la messagerie du patient, jamais dans un courriel."),
        error_messages={"required": _("Indiquez l’objet du message.")},
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Texte simple, %(max)s caractères au plus.") % {"max": "5 000"},
        error_messages={"required": _("Écrivez votre message.")},
    )


class ThreadStartForMinorForm(ThreadStartForm):
    confidential_from_guardians = forms.BooleanField(
        label=_("Cacher cette conversation aux représentants légaux"),
        required=False,
        help_text=_(
            "Pour des soins que le mineur garde confidentiels : ses parents ne verront "
            "pas que la conversation existe. Le mineur la lit avec son propre compte."
        ),
    )


class ReplyForm(MesspaceForm):
    body = forms.CharField(
        label=_("Votre réponse"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Texte simple, %(max)s caractères au plus.") % {"max": "5 000"},
        error_messages={"required": _("Écrivez votre message.")},
    )
