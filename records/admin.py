"""Admin shows identities and record states only; health content stays out of the admin."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from records.lifecycle import admin as _lifecycle_admin  # noqa: F401  (registers the record)
from records.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    list_display = ("nir", "birth_names", "given_names", "birth_date", "postcode")
    search_fields = ("nir", "birth_names", "given_names", "email")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A patient's data goes only through the record's erasure (records.lifecycle),
        # and the confirmation page would list their rows.
        return False
