"""Admin of accounts: identities and roles; and sessions, without their contents."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from qsessions.admin import SessionAdmin as QsessionsSessionAdmin
from qsessions.models import Session

from messpace.accounts.models import Professional, User
from messpace.admin import IdsOnlyDeletionMixin

# qsessions' admin shows each session's decoded data and key: the messages
# waiting to be shown (which may name a document), a guardian's child, fresh
# backup codes, and a key that would let anyone take the session over.
admin.site.unregister(Session)


@admin.register(Session)
class SessionAdmin(QsessionsSessionAdmin):
    fields = (
        "user",
        "ip",
        "location",
        "is_valid",
        "created_at",
        "updated_at",
        "expire_date",
        "user_agent",
        "device",
    )


@admin.register(User)
class UserAdmin(IdsOnlyDeletionMixin, BaseUserAdmin):
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
class ProfessionalAdmin(IdsOnlyDeletionMixin, admin.ModelAdmin[Professional]):
    """The directory's professionals, with or without a login; those without one
    are invited from their console page."""

    list_display = ("rpps", "last_name", "first_name", "profession", "practice_city", "account")
    list_filter = ("profession",)
    search_fields = ("rpps", "last_name", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("invitation",)
    list_select_related = ("user",)

    @admin.display(description=_("compte"), boolean=True)
    def account(self, obj: Professional) -> bool:
        return obj.user_id is not None and obj.user is not None and obj.user.has_usable_password()

    @admin.display(description=_("invitation"))
    def invitation(self, obj: Professional) -> str:
        if obj.pk is None or self.account(obj):
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("console-directory:professional", args=[obj.pk]),
            _("Inviter depuis la console"),
        )
