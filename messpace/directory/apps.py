from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "messpace.directory"
    label = "directory"
    verbose_name = _("Annuaire des professionnels et des structures")
    default_auto_field = "django.db.models.BigAutoField"
