from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from messpace.accounts.models import Professional, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_support_agent", "is_staff", "is_active")
    list_filter = ("is_staff", "is_support_agent", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (
            _("Rôles"),
            {"fields": ("is_active", "is_support_agent", "is_staff", "is_superuser", "groups")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin[Professional]):
    list_display = ("rpps", "user", "profession", "specialty", "practice_city")
    list_filter = ("profession",)
    search_fields = ("rpps", "user__email", "user__last_name")
    raw_id_fields = ("user",)
