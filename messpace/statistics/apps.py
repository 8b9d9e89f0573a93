from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "messpace.statistics"
    label = "statistics"
    verbose_name = _("Chiffres nationaux")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from messpace.console.menu import MenuItem, register
        from messpace.console.roles import ConsoleRole

        register(
            MenuItem(
                label=_("Chiffres nationaux"),
                url_name="console-figures:figures",
                roles=frozenset({ConsoleRole.ADMIN}),
                section=_("Suivi du service"),
                description=_(
                    "Dossiers créés et activés, connexions, documents déposés, consultations "
                    "par les professionnels, oppositions et fermetures, calculés chaque nuit."
                ),
                order=90,
            )
        )
