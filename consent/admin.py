from django.contrib import admin

from consent.models import AccessLog, CareRelationship


@admin.register(CareRelationship)
class CareRelationshipAdmin(admin.ModelAdmin[CareRelationship]):
    list_display = ("professional", "patient", "started_at", "ended_at")
    raw_id_fields = ("professional", "patient", "created_by")


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin[AccessLog]):
    list_display = ("at", "actor_label", "role", "basis", "action", "what", "patient")
    list_filter = ("role", "basis", "action")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
