from django.urls import path

from records.views import carer

app_name = "carer"

urlpatterns = [
    path("", carer.patient_list, name="patient_list"),
    path("invitation/<str:token>/", carer.invitation, name="invitation"),
    path("<int:patient_id>/", carer.dashboard, name="dashboard"),
    path("<int:patient_id>/histoire/", carer.timeline, name="timeline"),
    path("<int:patient_id>/<slug:slug>/", carer.section_list, name="section_list"),
    path("<int:patient_id>/<slug:slug>/ajouter/", carer.section_add, name="section_add"),
    path(
        "<int:patient_id>/<slug:slug>/<int:pk>/modifier/", carer.section_edit, name="section_edit"
    ),
    path(
        "<int:patient_id>/<slug:slug>/<int:pk>/supprimer/",
        carer.section_delete,
        name="section_delete",
    ),
]
