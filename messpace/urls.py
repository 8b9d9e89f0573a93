from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from documents.urls import carer_patterns, patient_patterns, pro_patterns
from messpace import views
from records.views import opposition, support

admin.site.site_header = _("Administration de messpace")
admin.site.site_title = _("Administration de messpace")
admin.site.index_title = _("Administration")


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("sante/", health, name="health"),
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("", include("messpace.accounts.urls")),
    path("opposition/", opposition.notice_answer, name="notice_answer"),
    path("support/avis/", support.caller_notice, name="support_caller_notice"),
    path("espace/confidentialite/", include("consent.urls")),
    path("espace/documents/", include(patient_patterns)),
    path("espace/", include("records.urls")),
    path("pro/patients/<int:patient_id>/documents/", include(pro_patterns)),
    path("pro/patients/", include("records.urls_pro")),
    path("aidant/<int:patient_id>/documents/", include(carer_patterns)),
    path("aidant/", include("records.urls_carer")),
    path("api/v1/", include("documents.api_urls")),
]

handler403 = "messpace.errors.forbidden"
handler404 = "messpace.errors.not_found"

__all__ = ["urlpatterns"]
