from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consentement et accès")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_carer, dispatch_uid="consent_remember_carer")
        from consent import figures

        figures.register_metrics()


def _remember_carer(sender: object, request: Any, user: Any, **kwargs: Any) -> None:
    """At login, note in the session whether the user helps someone or is a minor's
    legal guardian (for the menu links)."""
    if request is None or not hasattr(request, "session") or user.is_professional:
        return
    from consent.policy import carer_patients, guardian_patients
    from messpace.context_processors import CARER_SESSION_KEY, GUARDIAN_SESSION_KEY

    request.session[CARER_SESSION_KEY] = carer_patients(user).exists()
    request.session[GUARDIAN_SESSION_KEY] = guardian_patients(user).exists()
