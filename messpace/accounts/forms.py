from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messpace.accounts.models import User
from messpace.forms import MesspaceForm


class LoginForm(MesspaceForm):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password")
        if email and password:
            # Passed as ``email`` (the USERNAME_FIELD), not ``username``: django-axes
            # reads the credential named AXES_USERNAME_FORM_FIELD ("email") to key
            # its lockout; under another name every failure was recorded without
            # an email and the right password still got through a lockout.
            user = authenticate(self.request, email=email.lower(), password=password)
            if user is None or not user.is_active:
                raise forms.ValidationError(
                    _("Adresse électronique ou mot de passe incorrect."), code="invalid_login"
                )
            self.user = user
        return data


class OTPTokenForm(MesspaceForm):
    token = forms.CharField(
        label=_("Code de vérification"),
        help_text=_(
            "Les 6 chiffres affichés par votre application d’authentification, ou un code de secours."
        ),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip().replace(" ", "").lower()


class PasswordChangeForm(MesspaceForm, DjangoPasswordChangeForm):
    """Django's password change form (old password, validators), with DSFR markup."""


class SetPasswordForm(MesspaceForm, DjangoSetPasswordForm):
    """Choosing a first password from an invitation link (validators apply)."""
