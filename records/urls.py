from django.urls import path

from records.views import closure, family, patient

app_name = "records"

urlpatterns = [
    path("", patient.dashboard, name="dashboard"),
    path("histoire/", patient.timeline, name="timeline"),
    path("profil/", patient.profile, name="profile"),
    path("enfants/", family.children, name="children"),
    path("enfants/quitter/", family.act_self, name="act_self"),
    path("enfants/<int:patient_id>/ouvrir/", family.act_for, name="act_for"),
    path("fermer/", closure.close, name="close"),
    path("ferme/", closure.closed, name="closed"),
    path("ferme/rouvrir/", closure.reopen, name="reopen"),
    path("ferme/suppression/", closure.deletion_request, name="deletion_request"),
    path("ferme/suppression/annuler/", closure.deletion_cancel, name="deletion_cancel"),
    path("enfants/<int:patient_id>/ferme/", closure.closed, name="child_closed"),
    path("enfants/<int:patient_id>/ferme/rouvrir/", closure.reopen, name="child_reopen"),
    path(
        "enfants/<int:patient_id>/ferme/suppression/",
        closure.deletion_request,
        name="child_deletion_request",
    ),
    path(
        "enfants/<int:patient_id>/ferme/suppression/annuler/",
        closure.deletion_cancel,
        name="child_deletion_cancel",
    ),
    path("<slug:slug>/", patient.section_list, name="section_list"),
    path("<slug:slug>/ajouter/", patient.section_add, name="section_add"),
    path("<slug:slug>/<int:pk>/modifier/", patient.section_edit, name="section_edit"),
    path("<slug:slug>/<int:pk>/supprimer/", patient.section_delete, name="section_delete"),
    path(
        "<slug:slug>/<int:pk>/confidentialite/",
        patient.entry_confidentiality,
        name="entry_confidentiality",
    ),
]
