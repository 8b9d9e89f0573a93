from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from messpace.accounts import views
from messpace.accounts.forms import PasswordChangeForm, SetPasswordForm

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("connexion/code/", views.login_code_view, name="login_code"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("compte/securite/", views.security_view, name="security"),
    path("compte/securite/deux-etapes/", views.two_factor_enrol_view, name="enrol"),
    path("compte/securite/deux-etapes/desactiver/", views.two_factor_disable_view, name="disable"),
    path("compte/securite/codes-de-secours/", views.backup_codes_view, name="backup_codes"),
    path("compte/securite/sessions/fermer/", views.session_end_view, name="session_end"),
    path(
        "compte/securite/sessions/fermer-les-autres/",
        views.sessions_end_others_view,
        name="sessions_end_others",
    ),
    path(
        "compte/mot-de-passe/",
        auth_views.PasswordChangeView.as_view(
            form_class=PasswordChangeForm,
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:security"),
        ),
        name="password_change",
    ),
    # An invitation to choose a first password (a young adult's own login at 18):
    # Django's single-use password-reset token, then the sign-in page.
    path(
        "compte/activer/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=SetPasswordForm,
            template_name="accounts/activate.html",
            success_url=reverse_lazy("accounts:activated"),
        ),
        name="activate",
    ),
    path(
        "compte/active/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/activated.html"),
        name="activated",
    ),
]
