from django.urls import path

from records.views import professional as pro

app_name = "pro"

urlpatterns = [
    path("", pro.patient_list, name="patient_list"),
    path("declarer/", pro.care_relationship_declare, name="care_relationship_declare"),
    path("urgence/", pro.emergency_access, name="emergency_access"),
    path("<int:patient_id>/", pro.dashboard, name="dashboard"),
    path("<int:patient_id>/histoire/", pro.timeline, name="timeline"),
    path("<int:patient_id>/<slug:slug>/", pro.section_list, name="section_list"),
    path("<int:patient_id>/<slug:slug>/ajouter/", pro.section_add, name="section_add"),
    path("<int:patient_id>/<slug:slug>/<int:pk>/modifier/", pro.section_edit, name="section_edit"),
    path(
        "<int:patient_id>/<slug:slug>/<int:pk>/supprimer/",
        pro.section_delete,
        name="section_delete",
    ),
    path(
        "<int:patient_id>/<slug:slug>/<int:pk>/confidentialite/",
        pro.entry_confidentiality,
        name="entry_confidentiality",
    ),
]
