"""Forms of the opt-out activation: the public answer to a notice, the support
agent's answer for a caller, the admin's CSV uploads and new campaigns."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.forms import PatientIdentityForm
from consent.optout.models import DEFAULT_DELAY_DAYS, CohortImport, CohortImportState
from consent.optout.services.campaigns import CODE_ALPHABET
from messpace.forms import MesspaceForm
from records.forms import DateInput

CODE_RE = re.compile(rf"[{CODE_ALPHABET}]{{12}}")


class NoticeAnswerForm(MesspaceForm):
    OPPOSE = "oppose"
    ACTIVATE = "activate"

    code = forms.CharField(
        label=_("Code personnel"),
        help_text=_(
            "12 caractères, inscrits sur votre courrier ou votre courriel (les tirets sont facultatifs)."
        ),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance du titulaire du dossier"),
        help_text=_("Format attendu : JJ/MM/AAAA"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    choice = forms.ChoiceField(
        label=_("Votre choix"),
        choices=[
            (OPPOSE, _("Je m’oppose à l’ouverture de ce dossier")),
            (ACTIVATE, _("J’ouvre mon dossier dès maintenant")),
        ],
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Adresse électronique de connexion"),
        required=False,
        help_text=_("Seulement pour ouvrir votre dossier maintenant."),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 12 caractères ; seulement pour ouvrir votre dossier maintenant."),
    )
    password2 = forms.CharField(
        label=_("Mot de passe (confirmation)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).upper().replace("-", "").replace(" ", "")
        excluded = sorted({c for c in code if c in "0O1IL"})
        if excluded and code.isascii() and code.isalnum():
            raise forms.ValidationError(
                _(
                    "Le code ne contient jamais les caractères 0, O, 1, I ni L, faciles "
                    "à confondre ; vérifiez : %(chars)s."
                ),
                params={"chars": ", ".join(excluded)},
            )
        if not CODE_RE.fullmatch(code):
            raise forms.ValidationError(
                _(
                    "Le code comporte 12 lettres et chiffres (vous en avez saisi %(count)s), "
                    "par exemple 7KQ4-M2XD-9PRA."
                ),
                params={"count": len(code)},
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == self.ACTIVATE:
            if not data.get("email"):
                self.add_error("email", _("Indiquez l’adresse électronique de votre futur compte."))
            if not data.get("password1"):
                self.add_error("password1", _("Choisissez un mot de passe."))
            elif data.get("password1") != data.get("password2"):
                self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return data


class CallerNoticeForm(PatientIdentityForm):
    """A support agent answers for a caller whose identity they checked."""

    OPPOSE = "oppose"
    ACTIVATE = "activate"

    choice = forms.ChoiceField(
        label=_("Demande de l’appelant"),
        choices=[
            (OPPOSE, _("Opposition à l’ouverture du dossier")),
            (ACTIVATE, _("Ouverture anticipée du dossier")),
        ],
        widget=forms.RadioSelect,
    )
    identity_checked = forms.BooleanField(
        label=_(
            "J’ai vérifié l’identité de l’appelant (questions de sécurité du dossier d’assuré)"
        ),
        error_messages={"required": _("Vérifiez l’identité de l’appelant avant d’agir.")},
    )


class CohortUploadForm(MesspaceForm):
    """The admin's upload of a CSV of insured persons."""

    file = forms.FileField(
        label=_("Fichier CSV des assurés"),
        help_text=_(
            "Séparateur « ; » ou « , », encodage UTF-8 ou Windows-1252, une personne par ligne."
        ),
        error_messages={
            "required": _("Choisissez le fichier CSV à importer."),
            "empty": _("Le fichier est vide."),
        },
    )


class BounceUploadForm(MesspaceForm):
    """The admin's upload of a campaign's returned emails and letters."""

    file = forms.FileField(
        label=_("Fichier CSV des retours"),
        help_text=_(
            "Séparateur « ; » ou « , », encodage UTF-8 ou Windows-1252, un envoi revenu par ligne."
        ),
        error_messages={
            "required": _("Choisissez le fichier CSV à importer."),
            "empty": _("Le fichier est vide."),
        },
    )


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(
            _("%(file)s, déposé le %(day)s (%(rows)s dossiers)")
            % {
                "file": obj.filename,
                "day": timezone.localtime(obj.created_at).strftime("%d/%m/%Y"),
                "rows": obj.total_rows,
            }
        )


class CampaignForm(MesspaceForm):
    """A new campaign: its name and the filters selecting its records. The rules
    are the service's (``drafts.campaign_create``); this form only reads the values."""

    name = forms.CharField(
        label=_("Nom de la campagne"),
        max_length=200,
        help_text=_("Pour la retrouver, par exemple « Paris 11e, mars 2027 »."),
        error_messages={"required": _("Donnez un nom à la campagne.")},
    )
    cohort_import = CohortChoiceField(
        label=_("Population importée"),
        queryset=CohortImport.objects.filter(state=CohortImportState.DONE).order_by("-created_at"),
        required=False,
        empty_label=_("Tous les dossiers créés, quel que soit leur import"),
        help_text=_("Seuls les imports terminés sont proposés."),
        error_messages={"invalid_choice": _("Choisissez un import terminé de la liste.")},
    )
    postcode_prefixes = forms.CharField(
        label=_("Codes postaux (débuts)"),
        max_length=200,
        required=False,
        help_text=_("Séparés par des virgules, par exemple « 75, 92, 93 » ; vide : tous."),
    )
    birth_year_from = forms.IntegerField(
        label=_("Nés à partir de (année)"),
        required=False,
        error_messages={"invalid": _("Indiquez une année en chiffres, par exemple 1960.")},
    )
    birth_year_to = forms.IntegerField(
        label=_("Nés jusqu’en (année)"),
        required=False,
        error_messages={"invalid": _("Indiquez une année en chiffres, par exemple 1990.")},
    )
    delay_days = forms.IntegerField(
        label=_("Délai avant ouverture (jours)"),
        initial=DEFAULT_DELAY_DAYS,
        help_text=_("Six semaines (42 jours) au moins : le délai légal pour s’opposer."),
        error_messages={
            "required": _("Indiquez le délai avant ouverture, en jours."),
            "invalid": _("Indiquez le délai en nombre de jours, par exemple 42."),
        },
    )


class CampaignStartForm(MesspaceForm):
    """Starting sends the notices: the admin confirms the number of records."""

    confirm = forms.BooleanField(
        label=_("J’ai vérifié les critères et le nombre de dossiers visés"),
        error_messages={"required": _("Cochez la case pour confirmer le démarrage.")},
    )
