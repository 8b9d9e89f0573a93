"""Admin for permission data. The matrix is editable; grants are read-only
records of the patient's choices (changed only by the patient, in the portal)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from consent.models import (
    AccessLog,
    Block,
    CareRelationship,
    CarerGrant,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    ProfessionVisibility,
    Share,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProfessionVisibility)
class ProfessionVisibilityAdmin(admin.ModelAdmin[ProfessionVisibility]):
    list_display = ("profession", "item_kind", "visible")
    list_editable = ("visible",)
    list_filter = ("profession", "item_kind", "visible")
    ordering = ("profession", "item_kind")


@admin.register(CareRelationship)
class CareRelationshipAdmin(ReadOnlyAdmin):
    list_display = ("professional", "patient", "started_at", "ended_at")


@admin.register(DesignatedGP)
class DesignatedGPAdmin(ReadOnlyAdmin):
    list_display = ("patient", "professional", "designated_at")


@admin.register(Share)
class ShareAdmin(ReadOnlyAdmin):
    list_display = ("patient", "professional", "section", "expires_at", "revoked_at")


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("patient", "professional", "created_at")


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(ReadOnlyAdmin):
    list_display = ("patient", "professional", "started_at", "expires_at", "notified_at")


@admin.register(ConsentSettings)
class ConsentSettingsAdmin(ReadOnlyAdmin):
    list_display = ("patient", "refuses_emergency_access")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "role", "basis", "action", "what", "patient")
    list_filter = ("role", "basis", "action")


@admin.register(CarerGrant)
class CarerGrantAdmin(ReadOnlyAdmin):
    list_display = ("patient", "invited_email", "carer", "can_write", "expires_at", "revoked_at")
    exclude = ("token_hash",)
