"""Admin shows identities and record states only; health content stays out of the admin."""

from django.contrib import admin

from records.models import Patient, Record, RecordTransition


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    list_display = ("nir", "birth_names", "given_names", "birth_date", "postcode")
    search_fields = ("nir", "birth_names", "given_names", "email")
    raw_id_fields = ("user",)


class RecordTransitionInline(admin.TabularInline[RecordTransition, Record]):
    model = RecordTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_state", "to_state", "at", "by", "reason")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin[Record]):
    list_display = ("patient", "state", "state_changed_at")
    list_filter = ("state",)
    readonly_fields = ("patient", "state", "state_changed_at")
    search_fields = ("patient__nir", "patient__birth_names")
    inlines = [RecordTransitionInline]
