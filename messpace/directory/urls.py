from django.urls import path

from messpace.directory.views import console as console_views
from messpace.directory.views import search as views

app_name = "directory"

urlpatterns = [
    path("recherche/", views.search, name="search"),
]

# Mounted under /console/annuaire/ (namespace ``console-directory``): the admins' pages.
console_patterns = (
    [
        path("imports/", console_views.imports, name="imports"),
        path("imports/nouveau/", console_views.import_new, name="import_new"),
        path("imports/<int:pk>/", console_views.import_detail, name="import"),
        path("imports/<int:pk>/reprendre/", console_views.import_resume, name="import_resume"),
        path("professionnels/", console_views.professional_list, name="professionals"),
        path("professionnels/<int:pk>/", console_views.professional, name="professional"),
        path(
            "professionnels/<int:pk>/inviter/",
            console_views.professional_invite,
            name="professional_invite",
        ),
        path("structures/", console_views.structure_list, name="structures"),
        path("structures/nouvelle/", console_views.structure_new, name="structure_new"),
        path("structures/<int:pk>/", console_views.structure, name="structure"),
        path("structures/<int:pk>/modifier/", console_views.structure_edit, name="structure_edit"),
        path("structures/<int:pk>/membres/", console_views.member_add, name="member_add"),
        path(
            "structures/<int:pk>/membres/<int:activity_id>/retirer/",
            console_views.member_remove,
            name="member_remove",
        ),
    ],
    "console-directory",
)
