"""Forms of the directory's console pages: the extract upload, a structure of
the admins' own, a member. The rules are the services'; these read values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from messpace.directory.models import StructureKind
from messpace.forms import MesspaceForm


class ExtractUploadForm(MesspaceForm):
    file = forms.FileField(
        label=_("Extraction « personne activité » de l’annuaire"),
        help_text=_(
            "Le fichier PS_LibreAcces_Personne_activite publié par l’ANS : texte UTF-8, "
            "colonnes séparées par « | »."
        ),
        error_messages={
            "required": _("Choisissez le fichier à importer."),
            "empty": _("Le fichier est vide."),
        },
    )
    full_extract = forms.BooleanField(
        label=_("Extraction complète : les lieux d’exercice qu’elle ne cite plus prennent fin"),
        required=False,
        initial=True,
    )


class StructureSearchForm(MesspaceForm):
    q = forms.CharField(
        label=_("Rechercher une structure"),
        help_text=_("Un mot du nom ou de la commune, ou le numéro FINESS ou SIRET."),
        required=False,
        max_length=100,
    )


class StructureForm(MesspaceForm):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=StructureKind.choices,
        error_messages={"invalid_choice": _("Choisissez le type de la structure dans la liste.")},
    )
    name = forms.CharField(
        label=_("Nom"),
        max_length=200,
        error_messages={"required": _("Indiquez le nom de la structure.")},
    )
    finess = forms.CharField(
        label=_("Numéro FINESS"), max_length=12, required=False, help_text=_("9 caractères.")
    )
    siret = forms.CharField(
        label=_("SIRET"), max_length=20, required=False, help_text=_("14 chiffres.")
    )
    address = forms.CharField(label=_("Adresse"), max_length=255, required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)


class MemberForm(MesspaceForm):
    rpps = forms.CharField(
        label=_("Numéro RPPS du professionnel"),
        max_length=20,
        help_text=_("11 chiffres ; le professionnel doit figurer dans l’annuaire."),
        error_messages={"required": _("Indiquez le numéro RPPS du professionnel.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    mode = forms.CharField(
        label=_("Mode d’exercice"),
        max_length=100,
        required=False,
        help_text=_("Par exemple « Salarié » ou « Libéral »."),
    )


class ProfessionalSearchForm(MesspaceForm):
    q = forms.CharField(
        label=_("Rechercher un professionnel"),
        help_text=_("Nom, profession, commune (par exemple « garnier paris »), ou numéro RPPS."),
        required=False,
        max_length=100,
    )


class ProfessionalInviteForm(MesspaceForm):
    email = forms.EmailField(
        label=_("Adresse électronique du professionnel"),
        help_text=_("Le lien pour choisir un mot de passe y est envoyé."),
        error_messages={
            "required": _("Indiquez l’adresse électronique du professionnel."),
            "invalid": _("Adresse électronique non valide."),
        },
    )
