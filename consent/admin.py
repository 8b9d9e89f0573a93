"""Admin for permission data. The matrix is editable; grants are read-only
records of the patient's choices (changed only by the patient, in the portal).
Legal guardians are recorded here by admins (the cohort import will too),
through ``consent.services`` so that its rules hold.

Who cares for whom is health data: a care relationship, a designated GP, a
share (and its sections), a block, an emergency access (and its reason), a
carer, an access-log row (who read what). Their admin shows ids, states and
dates only, never the patient and the other party together, and offers no
search. Guardianships are identities (a legal link, not care) and stay named.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consent import services
from consent.models import (
    AccessLog,
    Block,
    CareRelationship,
    CarerGrant,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Guardianship,
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


class MetadataOnlyAdmin(ReadOnlyAdmin):
    """Read only, and the change page shows the list's columns: ids, states, dates."""

    search_fields = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.list_display

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.list_display


@admin.register(ProfessionVisibility)
class ProfessionVisibilityAdmin(admin.ModelAdmin[ProfessionVisibility]):
    list_display = ("profession", "item_kind", "visible")
    list_editable = ("visible",)
    list_filter = ("profession", "item_kind", "visible")
    ordering = ("profession", "item_kind")


@admin.register(CareRelationship)
class CareRelationshipAdmin(MetadataOnlyAdmin):
    list_display = ("id", "started_at", "ended_at")


@admin.register(DesignatedGP)
class DesignatedGPAdmin(MetadataOnlyAdmin):
    list_display = ("id", "designated_at")


@admin.register(Share)
class ShareAdmin(MetadataOnlyAdmin):
    list_display = ("id", "created_at", "expires_at", "revoked_at")


@admin.register(Block)
class BlockAdmin(MetadataOnlyAdmin):
    list_display = ("id", "created_at")


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(MetadataOnlyAdmin):
    list_display = ("id", "started_at", "expires_at", "notified_at")


@admin.register(ConsentSettings)
class ConsentSettingsAdmin(MetadataOnlyAdmin):
    list_display = ("id", "refuses_emergency_access")


@admin.register(AccessLog)
class AccessLogAdmin(MetadataOnlyAdmin):
    list_display = ("id", "at", "role", "basis", "action")
    list_filter = ("role", "basis", "action")


@admin.register(CarerGrant)
class CarerGrantAdmin(MetadataOnlyAdmin):
    list_display = ("id", "created_at", "accepted_at", "expires_at", "revoked_at")


class GuardianshipAddForm(forms.ModelForm[Guardianship]):
    class Meta:
        model = Guardianship
        fields = ("patient", "guardian")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("patient") and data.get("guardian"):
            services.guardianship_validate(patient=data["patient"], guardian=data["guardian"])
        return data

    def save(self, commit: bool = True) -> Guardianship:
        # The service checks the rules again under a lock on the child's row.
        # The admin calls save() before save_model(): create once.
        if self.instance.pk is None:
            self.instance = services.guardianship_add(
                patient=self.cleaned_data["patient"], guardian=self.cleaned_data["guardian"]
            )
        self.save_m2m = lambda: None  # type: ignore[method-assign]
        return self.instance


@admin.register(Guardianship)
class GuardianshipAdmin(admin.ModelAdmin[Guardianship]):
    """Add a guardian of a minor, or end a guardianship (parental authority ended)."""

    list_display = ("patient", "guardian", "started_at", "ended_at", "end_reason")
    list_filter = ("end_reason",)
    search_fields = (
        "patient__birth_names",
        "patient__given_names",
        "patient__nir",
        "guardian__email",
    )
    raw_id_fields = ("patient", "guardian")
    form = GuardianshipAddForm
    actions = ("end_guardianships",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Guardianship, form: Any, change: bool) -> None:
        form.save()  # already stored by the service

    @admin.action(description=_("Mettre fin à l’autorité parentale"))
    def end_guardianships(self, request: HttpRequest, queryset: Any) -> None:
        for guardianship in queryset:
            services.guardianship_end(guardianship_id=guardianship.pk)
