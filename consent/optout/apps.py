from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OptoutConfig(AppConfig):
    name = "consent.optout"
    label = "optout"
    verbose_name = _("Ouverture des dossiers (opposition)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consent.optout.models import Campaign, CohortImport, LetterBatch
        from messpace.vault import register_sealed

        # Master-key rotation re-wraps the data keys of the imported CSV files,
        # of the campaigns' personal codes and of the printed letter batches.
        register_sealed(CohortImport, owner=lambda i: i.owner, owner_fields=("public_id",))
        register_sealed(Campaign, owner=lambda c: f"campaign:{c.pk}", owner_fields=())
        register_sealed(LetterBatch, owner=lambda b: b.owner, owner_fields=())

        from consent.optout import figures
        from messpace.console.menu import MenuItem, register

        figures.register_metrics()
        from messpace.console.roles import ConsoleRole

        register(
            MenuItem(
                label=_("Populations importées"),
                url_name="console-optout:cohorts",
                roles=frozenset({ConsoleRole.ADMIN}),
                section=_("Ouverture des dossiers"),
                description=_(
                    "Importer les assurés d’un fichier et suivre l’import, ligne par ligne."
                ),
                order=5,
            )
        )
        register(
            MenuItem(
                label=_("Campagnes d’information"),
                url_name="console-optout:campaigns",
                roles=frozenset({ConsoleRole.ADMIN}),
                section=_("Ouverture des dossiers"),
                description=_(
                    "Créer et démarrer une campagne, suivre ses chiffres, ses lots de courriers "
                    "et ses retours."
                ),
                order=10,
            )
        )
        register(
            MenuItem(
                label=_("Appel d’un assuré : avis d’information"),
                url_name="support_caller_notice",
                roles=frozenset({ConsoleRole.SUPPORT}),
                section=_("Assistance"),
                description=_(
                    "Enregistrer l’opposition ou l’ouverture anticipée d’un appelant, "
                    "après vérification de son identité."
                ),
            )
        )
