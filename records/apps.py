from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Dossiers et rubriques")

    def ready(self) -> None:
        from records.lifecycle import figures

        figures.register_metrics()
