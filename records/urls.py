"""URL patterns of the record's pages, one list per space.

``patient_patterns`` (namespace ``records``, under ``/espace/``),
``professional_patterns`` (``pro``, under ``/pro/patients/``, with the consent
pages a professional uses to open a record) and ``carer_patterns`` (``carer``,
under ``/aidant/``); ``messpace.urls`` mounts them.
"""

from django.urls import path

from consent.views import professional as consent_pro
from records.lifecycle import views as lifecycle
from records.views import carer, family, patient
from records.views import professional as pro

patient_patterns = [
    path("", patient.dashboard, name="dashboard"),
    path("histoire/", patient.timeline, name="timeline"),
    path("profil/", patient.profile, name="profile"),
    path("enfants/", family.children, name="children"),
    path("enfants/quitter/", family.act_self, name="act_self"),
    path("enfants/<int:patient_id>/ouvrir/", family.act_for, name="act_for"),
    path("fermer/", lifecycle.close, name="close"),
    path("ferme/", lifecycle.closed, name="closed"),
    path("ferme/rouvrir/", lifecycle.reopen, name="reopen"),
    path("ferme/suppression/", lifecycle.deletion_request, name="deletion_request"),
    path("ferme/suppression/annuler/", lifecycle.deletion_cancel, name="deletion_cancel"),
    path("enfants/<int:patient_id>/ferme/", lifecycle.closed, name="child_closed"),
    path("enfants/<int:patient_id>/ferme/rouvrir/", lifecycle.reopen, name="child_reopen"),
    path(
        "enfants/<int:patient_id>/ferme/suppression/",
        lifecycle.deletion_request,
        name="child_deletion_request",
    ),
    path(
        "enfants/<int:patient_id>/ferme/suppression/annuler/",
        lifecycle.deletion_cancel,
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

professional_patterns = [
    path("", pro.patient_list, name="patient_list"),
    path("declarer/", consent_pro.care_relationship_declare, name="care_relationship_declare"),
    path("urgence/", consent_pro.emergency_access, name="emergency_access"),
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

carer_patterns = [
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
