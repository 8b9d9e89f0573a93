"""Admin of records: their state and lifecycle history, read only (states change
through the services, never by hand)."""

from django.contrib import admin

from records.lifecycle.models import Record, RecordTransition


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

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # States change through records.lifecycle.services only; erasure keeps the record.
        return False
