"""Forms confirming that a holder closes their record or asks for its erasure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messpace.accounts.models import User
from messpace.forms import MesspaceForm


class PasswordConfirmForm(MesspaceForm):
    """A destructive act on a whole record: the signed-in user types their password
    again and ticks that they understood."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        help_text=_("Pour confirmer qu’il s’agit bien de vous."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label=_("J’ai compris les conséquences de ce choix."),
        error_messages={"required": _("Cochez cette case pour confirmer.")},
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User = request.user  # type: ignore[assignment]

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        # Through authenticate() so that django-axes counts failures and locks the
        # account as it does at sign-in: a session left open cannot guess it.
        user = authenticate(self.request, email=self.user.email.lower(), password=password)
        if user is None or user.pk != self.user.pk:
            raise forms.ValidationError(_("Ce mot de passe n’est pas le bon."))
        return password


class RecordCloseForm(PasswordConfirmForm):
    understood = forms.BooleanField(
        label=_(
            "J’ai compris que ce dossier ne sera plus accessible à personne, pas même à moi, tant qu’il n’aura pas été rouvert."
        ),
        error_messages={"required": _("Cochez cette case pour confirmer.")},
    )

    request_deletion = forms.BooleanField(
        label=_("Je demande aussi la suppression définitive des données de ce dossier"),
        help_text=_(
            "Les données seront effacées au plus tard trois mois après votre demande ; vous pourrez annuler la demande ou rouvrir le dossier d’ici là."
        ),
        required=False,
    )


class DeletionRequestForm(PasswordConfirmForm):
    understood = forms.BooleanField(
        label=_(
            "J’ai compris qu’une fois la suppression faite, les données de ce dossier ne pourront plus être récupérées."
        ),
        error_messages={"required": _("Cochez cette case pour confirmer.")},
    )
