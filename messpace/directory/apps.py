from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "messpace.directory"
    label = "directory"
    verbose_name = _("Annuaire des professionnels et des structures")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from messpace.console.menu import MenuItem, register
        from messpace.console.roles import ConsoleRole

        admins = frozenset({ConsoleRole.ADMIN})
        section = _("Annuaire")
        register(
            MenuItem(
                label=_("Professionnels"),
                url_name="console-directory:professionals",
                roles=admins,
                section=section,
                description=_(
                    "Chercher un professionnel de l’annuaire, voir où il exerce, "
                    "l’inviter à rejoindre le portail."
                ),
                order=29,
            )
        )
        register(
            MenuItem(
                label=_("Structures et membres"),
                url_name="console-directory:structures",
                roles=admins,
                section=section,
                description=_(
                    "Cabinets, pharmacies, services hospitaliers et laboratoires : leurs "
                    "membres, et les structures que l’annuaire national ne cite pas."
                ),
                order=30,
            )
        )
        register(
            MenuItem(
                label=_("Imports de l’annuaire national"),
                url_name="console-directory:imports",
                roles=admins,
                section=section,
                description=_(
                    "Importer l’extraction publique des professionnels et suivre l’import."
                ),
                order=31,
            )
        )
