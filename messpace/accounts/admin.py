"""Admin of accounts: identities and roles; and sessions, without their contents."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from qsessions.admin import SessionAdmin as QsessionsSessionAdmin
from qsessions.models import Session

from messpace.accounts import services
from messpace.accounts.models import Professional, User
from messpace.admin import IdsOnlyDeletionMixin
from messpace.forms import apply_errors

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


class ProfessionalInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique du professionnel"),
        help_text=_("Le lien pour choisir un mot de passe y est envoyé."),
    )


@admin.register(Professional)
class ProfessionalAdmin(IdsOnlyDeletionMixin, admin.ModelAdmin[Professional]):
    """The directory's professionals, with or without a login; those without one
    are invited from their page ("Inviter à rejoindre le portail")."""

    list_display = ("rpps", "last_name", "first_name", "profession", "practice_city", "account")
    list_filter = ("profession",)
    search_fields = ("rpps", "last_name", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("invitation",)
    list_select_related = ("user",)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.invite_view)
        return [
            path("<int:pk>/inviter/", view, name="accounts_professional_invite"),
            *super().get_urls(),
        ]

    @admin.display(description=_("compte"), boolean=True)
    def account(self, obj: Professional) -> bool:
        return obj.user_id is not None and obj.user is not None and obj.user.has_usable_password()

    @admin.display(description=_("invitation"))
    def invitation(self, obj: Professional) -> str:
        if obj.pk is None or self.account(obj):
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:accounts_professional_invite", args=[obj.pk]),
            _("Inviter à rejoindre le portail"),
        )

    def invite_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        professional = Professional.objects.filter(pk=pk).select_related("user").first()
        if professional is None:
            raise Http404
        if not self.has_change_permission(request, professional):
            raise PermissionDenied
        form = ProfessionalInviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.professional_invite(
                    by=request.user,  # type: ignore[arg-type]
                    professional=professional,
                    email=form.cleaned_data["email"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                self.message_user(
                    request,
                    _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:accounts_professional_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Inviter %(name)s") % {"name": professional.display_name},
            "professional": professional,
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/accounts/professional/invite.html", context)
