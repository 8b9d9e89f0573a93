"""Forms of the consent pages. Rules live in ``consent.services``; forms only parse
input: the professional a patient chooses in the directory or names by RPPS,
the patient a professional names by INS and birth date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import AccessAction, AccessBasis
from messpace.accounts.models import Professional
from messpace.accounts.validators import normalize_nir, validate_nir, validate_rpps
from messpace.forms import MesspaceForm
from records.forms import DateInput
from records.sections import SECTIONS

# What the access log names besides sections, in the words of the side menu.
# What a share or a carer's scope may cover: every section, and the documents.
DOCUMENTS_SCOPE = ("document", _("Documents"))
SCOPE_CHOICES = [DOCUMENTS_SCOPE, *((s.key, s.title) for s in SECTIONS)]

PAGE_LABELS: dict[str, Any] = {
    "document": _("Document"),
    "documents": _("Documents"),
    "dashboard": _("Vue d’ensemble"),
    "timeline": _("Histoire de santé"),
    "profile": _("Profil"),
    "contact": _("Coordonnées"),
    "privacy": _("Confidentialité et accès"),
    "opposition": _("Opposition à l’ouverture du dossier"),
    "activation": _("Ouverture anticipée du dossier"),
    "history": _("Historique des accès"),
    "record": _("Dossier"),
    "deletion": _("Demande de suppression du dossier"),
    "care_relationship": _("Déclaration d’une relation de soins"),
    "upload": _("Dépôt de document"),
    "threads": _("Messagerie"),
    "thread": _("Conversation de la messagerie"),
    "message": _("Message de la messagerie"),
}
EMERGENCY_PREFIX = "emergency:"


def what_label(what: str) -> str:
    """French words for an access log's ``what`` (a section key, a page or an emergency)."""
    for section in SECTIONS:
        if section.key == what:
            return str(section.title)
    if what in PAGE_LABELS:
        return str(PAGE_LABELS[what])
    if what.startswith(EMERGENCY_PREFIX):  # rows written before the reason left the log
        reason = what[len(EMERGENCY_PREFIX) :].strip()
        return str(_("Ouverture du dossier en urgence — motif : %(reason)s") % {"reason": reason})
    return what


def emergency_label(reason: str | None) -> str:
    """An emergency opening in the access history, with its reason while the
    grant still exists."""
    if reason:
        return str(_("Ouverture du dossier en urgence — motif : %(reason)s") % {"reason": reason})
    return str(_("Ouverture du dossier en urgence"))


class RppsField(forms.CharField):
    """An 11-digit RPPS number; spaces typed by the patient are ignored."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Numéro RPPS du professionnel"))
        kwargs.setdefault(
            "help_text",
            _("11 chiffres, inscrits sur l’ordonnance ou la carte du professionnel."),
        )
        kwargs.setdefault("max_length", 14)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        )

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace(" ", "")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            validate_rpps(value)


class ProfessionalPickerForm(MesspaceForm):
    """Names a professional: one chosen among the directory's search results
    (``professional``, a pk), or typed by RPPS number, exactly one of the two.
    ``selected`` is set once the form is valid; ``chosen`` as soon as the
    choice among the results names someone, to show it again if refused."""

    professional = forms.IntegerField(
        label=_("Professionnel choisi dans l’annuaire"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Choisissez le professionnel parmi les résultats de la recherche."),
            "min_value": _("Choisissez le professionnel parmi les résultats de la recherche."),
        },
    )
    rpps = RppsField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selected: Professional | None = None
        self.chosen: Professional | None = None
        self._by_rpps: Professional | None = None
        # The radio buttons are the search's results: the error summary links
        # an error of the choice to the search input.
        self.fields["professional"].widget.attrs["id"] = self.add_prefix("q")

    def clean_professional(self) -> int | None:
        pk: int | None = self.cleaned_data.get("professional")
        if pk is None:
            return None
        self.chosen = Professional.objects.select_related("user").filter(pk=pk).first()
        if self.chosen is None:
            raise forms.ValidationError(
                _("Ce professionnel ne figure plus dans l’annuaire : recherchez-le de nouveau."),
                code="professional_unknown",
            )
        return pk

    def clean_rpps(self) -> str:
        rpps: str = self.cleaned_data["rpps"]
        if not rpps:
            return rpps
        self._by_rpps = Professional.objects.select_related("user").filter(rpps=rpps).first()
        if self._by_rpps is None:
            raise forms.ValidationError(
                _("Aucun professionnel ne correspond à ce numéro RPPS."), code="rpps_unknown"
            )
        return rpps

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # What was sent, valid or not: a wrong RPPS is one answer, not none.
        picked = bool(str(self.data.get(self.add_prefix("professional"), "")).strip())
        typed = bool(str(self.data.get(self.add_prefix("rpps"), "")).strip())
        if picked and typed:
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "Choisissez le professionnel parmi les résultats ou saisissez son "
                        "numéro RPPS, pas les deux."
                    ),
                    code="professional_twice",
                ),
            )
        elif not picked and not typed:
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "Recherchez le professionnel et choisissez-le parmi les résultats, "
                        "ou saisissez son numéro RPPS."
                    ),
                    code="professional_missing",
                ),
            )
        else:
            self.selected = self.chosen if picked else self._by_rpps
        return data


class DesignatedGPForm(ProfessionalPickerForm):
    prefix = "gp"


class BlockForm(ProfessionalPickerForm):
    prefix = "block"


SCOPE_ALL = "all"
SCOPE_SECTIONS = "sections"


class ShareForm(ProfessionalPickerForm):
    prefix = "share"

    scope = forms.ChoiceField(
        label=_("Que partager ?"),
        choices=[
            (SCOPE_ALL, _("Tout mon dossier")),
            (SCOPE_SECTIONS, _("Seulement les rubriques choisies ci-dessous")),
        ],
        initial=SCOPE_ALL,
        widget=forms.RadioSelect,
    )
    sections = forms.MultipleChoiceField(
        label=_("Rubriques partagées"),
        choices=SCOPE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Seulement si vous avez choisi de partager certaines rubriques."),
    )
    until = forms.DateField(
        label=_("Jusqu’au (inclus)"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Laissez vide pour un partage sans date de fin, révocable à tout moment."),
    )

    def clean_until(self) -> dt.date | None:
        until: dt.date | None = self.cleaned_data.get("until")
        if until is not None and until < timezone.localdate():
            raise forms.ValidationError(_("La date de fin du partage doit être dans le futur."))
        return until

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == SCOPE_SECTIONS and not data.get("sections"):
            self.add_error("sections", _("Choisissez au moins une rubrique à partager."))
        return data

    def chosen_sections(self) -> list[str]:
        """The sections to share; empty means the whole record (the service's contract)."""
        if self.cleaned_data["scope"] == SCOPE_ALL:
            return []
        return list(self.cleaned_data["sections"])

    def expires_at(self) -> dt.datetime | None:
        """The share ends at midnight after the chosen day, in the patient's time zone."""
        until: dt.date | None = self.cleaned_data.get("until")
        if until is None:
            return None
        next_day = until + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))


class EmergencyRefusalForm(MesspaceForm):
    refuses = forms.BooleanField(label=_("Refuser l’accès en urgence"), required=False)


class VisibilityForm(forms.Form):
    """The hide button's payload: ``hidden`` is 1 to hide, 0 to show again."""

    hidden = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    page = forms.IntegerField(required=False, min_value=1)


class ConfidentialityForm(forms.Form):
    """The "confidential from the parents" button: ``confidential`` is 1 or 0."""

    confidential = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1"
    )
    page = forms.IntegerField(required=False, min_value=1)


class AccessLogFilterForm(MesspaceForm):
    """Filters of the access history; choices come from the patient's own log."""

    actor = forms.TypedChoiceField(label=_("Qui"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Toutes les actions")), *AccessAction.choices],
    )
    basis = forms.ChoiceField(
        label=_("À quel titre"),
        required=False,
        choices=[("", _("Tous les titres")), *AccessBasis.choices],
    )
    what = forms.ChoiceField(label=_("Quoi"), required=False)
    date_from = forms.DateField(
        label=_("Du"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    date_to = forms.DateField(
        label=_("Au"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )

    def __init__(self, *args: Any, actors: Any, **kwargs: Any) -> None:
        """``actors``: one row per person (``actor_id``, ``label``) of the history the
        reader may see (``consent.selectors.history_actors``)."""
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [
            ("", _("Tout le monde")),
            *((str(row["actor_id"]), row["label"]) for row in actors),
        ]
        self.fields["what"].choices = [
            ("", _("Tout le dossier")),
            ("dashboard", PAGE_LABELS["dashboard"]),
            ("timeline", PAGE_LABELS["timeline"]),
            ("document", PAGE_LABELS["document"]),
            *((s.key, s.title) for s in SECTIONS),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("date_from")
        end: dt.date | None = data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("La date de fin doit être postérieure ou égale à la date de début.")
            )
        return data


CARER_READ = "read"
CARER_WRITE = "write"


class CarerInviteForm(MesspaceForm):
    """The patient invites a trusted person (aidant) to some sections, until a date."""

    prefix = "carer"

    email = forms.EmailField(
        label=_("Adresse électronique de votre aidant"),
        help_text=_("Il ou elle recevra un lien pour accepter, sans aucune information de santé."),
    )
    sections = forms.MultipleChoiceField(
        label=_("Rubriques que votre aidant pourra voir"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une rubrique.")},
    )
    mode = forms.ChoiceField(
        label=_("Ce que votre aidant pourra faire"),
        choices=[
            (CARER_READ, _("Consulter seulement")),
            (CARER_WRITE, _("Consulter, ajouter et modifier")),
        ],
        initial=CARER_READ,
        widget=forms.RadioSelect,
    )
    until = forms.DateField(
        label=_("Jusqu’au (inclus)"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Vous pouvez retirer l’accès à tout moment avant cette date."),
    )

    def clean_until(self) -> dt.date:
        until: dt.date = self.cleaned_data["until"]
        if until < timezone.localdate():
            raise forms.ValidationError(_("La date de fin de l’accès doit être dans le futur."))
        return until

    def can_write(self) -> bool:
        return bool(self.cleaned_data["mode"] == CARER_WRITE)

    def expires_at(self) -> dt.datetime:
        """The access ends at midnight after the chosen day, in the patient's time zone."""
        next_day = self.cleaned_data["until"] + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))


# --- A professional names a patient ---------------------------------------------------------

EMERGENCY_REASON_MIN = 10


class PatientIdentityForm(MesspaceForm, forms.Form):
    """The patient's INS, normalized (spaces, dots and dashes removed), and birth date."""

    nir = forms.CharField(
        label=_("INS du patient (numéro de sécurité sociale)"),
        help_text=_("15 caractères, clé comprise ; les espaces sont acceptés."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance du patient"),
        help_text=_("Format attendu : JJ/MM/AAAA"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def clean_nir(self) -> str:
        value: str = self.cleaned_data["nir"]
        validate_nir(value)
        return normalize_nir(value)


class CareRelationshipDeclareForm(PatientIdentityForm):
    consent = forms.BooleanField(
        label=_("Le patient a donné son accord pour que je consulte son dossier"),
        error_messages={
            "required": _("Confirmez que le patient a donné son accord pour continuer.")
        },
    )


class EmergencyAccessForm(PatientIdentityForm):
    reason = forms.CharField(
        label=_("Motif de l’accès en urgence"),
        help_text=_(
            "Décrivez la situation d’urgence (10 caractères au moins). "
            "Le motif est conservé dans l’historique des accès du patient."
        ),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme agir dans une situation d’urgence. Je sais que cet accès est tracé "
            "et que le patient en est informé."
        ),
        error_messages={"required": _("Confirmez la situation d’urgence pour continuer.")},
    )

    def clean_reason(self) -> str:
        value: str = self.cleaned_data["reason"].strip()
        if len(value) < EMERGENCY_REASON_MIN:
            raise forms.ValidationError(
                _("Décrivez le motif de l’urgence (10 caractères au moins)."), code="too_short"
            )
        return value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["minlength"] = EMERGENCY_REASON_MIN
