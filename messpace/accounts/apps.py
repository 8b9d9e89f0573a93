from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "messpace.accounts"
    label = "accounts"
    verbose_name = _("Comptes et identités")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from messpace.accounts import figures

        user_logged_in.connect(figures.sign_in_count, dispatch_uid="accounts_sign_in_day")
        figures.register_metrics()
