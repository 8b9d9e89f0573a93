from django.urls import path

from consent.views import privacy as views

app_name = "consent"

urlpatterns = [
    path("", views.privacy, name="privacy"),
    path("historique/", views.history, name="history"),
    path("medecin-traitant/", views.gp_set, name="gp_set"),
    path("medecin-traitant/retirer/", views.gp_clear, name="gp_clear"),
    path("relations-de-soins/<int:pk>/fin/", views.care_end, name="care_end"),
    path("relations-de-soins/<int:pk>/refuser/", views.care_refuse, name="care_refuse"),
    path("partages/", views.share_grant, name="share_grant"),
    path("partages/<int:professional_id>/revoquer/", views.share_revoke, name="share_revoke"),
    path("blocages/", views.block_add, name="block_add"),
    path("blocages/<int:professional_id>/debloquer/", views.block_remove, name="block_remove"),
    path("urgence/", views.emergency, name="emergency"),
    path("aidants/", views.carer_invite, name="carer_invite"),
    path("aidants/<int:pk>/retirer/", views.carer_revoke, name="carer_revoke"),
    path(
        "elements/<slug:slug>/<int:pk>/masquer/",
        views.entry_visibility,
        name="entry_visibility",
    ),
]
