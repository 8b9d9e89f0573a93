from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from consent.optout import urls as optout_urls
from documents import urls as documents_urls
from messaging import urls as messaging_urls
from messpace import views
from messpace.directory import urls as directory_urls
from records import urls as records_urls


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("sante/", health, name="health"),
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("", include("messpace.accounts.urls")),
    path("", include("consent.optout.urls")),
    path("annuaire/", include("messpace.directory.urls")),
    path("console/", include("messpace.console.urls")),
    path("console/", include((optout_urls.console_patterns, "console-optout"))),
    path("console/", include(documents_urls.console_patterns)),
    path("console/annuaire/", include(directory_urls.console_patterns)),
    path("console/chiffres/", include("messpace.statistics.urls")),
    path("espace/confidentialite/", include("consent.urls")),
    path("espace/documents/", include(documents_urls.patient_patterns)),
    path("espace/messages/", include(messaging_urls.patient_patterns)),
    path("pro/messages/", include(messaging_urls.pro_patterns)),
    path("espace/", include((records_urls.patient_patterns, "records"))),
    path("pro/patients/<int:patient_id>/documents/", include(documents_urls.pro_patterns)),
    path("pro/patients/", include((records_urls.professional_patterns, "pro"))),
    path("aidant/<int:patient_id>/documents/", include(documents_urls.carer_patterns)),
    path("aidant/", include((records_urls.carer_patterns, "carer"))),
    path("api/v1/", include("documents.api_urls")),
]

handler403 = "messpace.errors.forbidden"
handler404 = "messpace.errors.not_found"
handler500 = "messpace.errors.server_error"

__all__ = ["urlpatterns"]
