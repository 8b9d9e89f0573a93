"""Forms confirming that a holder closes their record or asks for its erasure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from messpace.accounts.models import User
from messpace.forms import MesspaceForm


class PasswordConfirmForm(MesspaceForm):
    """A destructive act on a whole record: the signed-in user types their password
    again and ticks that they understood."""

    understood_label = _("J’ai compris les conséquences de ce choix.")

    password = forms.CharField(
        label=_("Votre mot de passe"),
        help_text=_("Pour confirmer qu’il s’agit bien de vous."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(label=understood_label)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["understood"].label = self.understood_label
        self.fields["understood"].error_messages["required"] = _(
            "Cochez cette case pour confirmer."
        )

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Ce mot de passe n’est pas le bon."))
        return password


class RecordCloseForm(PasswordConfirmForm):
    understood_label = _(
        "J’ai compris que mon dossier ne sera plus accessible à personne, pas même à moi, tant que je ne l’aurai pas rouvert."
    )

    request_deletion = forms.BooleanField(
        label=_("Je demande aussi la suppression définitive des données de ce dossier"),
        help_text=_(
            "Les données seront effacées au plus tard trois mois après votre demande ; vous pourrez annuler la demande ou rouvrir le dossier d’ici là."
        ),
        required=False,
    )


class DeletionRequestForm(PasswordConfirmForm):
    understood_label = _(
        "J’ai compris qu’une fois la suppression faite, les données de ce dossier ne pourront plus être récupérées."
    )
