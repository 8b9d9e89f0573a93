"""Admin shows identities and record states only; health content stays out of the admin."""

from django.contrib import admin

from records.lifecycle import admin as _lifecycle_admin  # noqa: F401  (registers the record)
from records.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    list_display = ("nir", "birth_names", "given_names", "birth_date", "postcode")
    search_fields = ("nir", "birth_names", "given_names", "email")
    raw_id_fields = ("user",)
