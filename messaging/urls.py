from django.urls import path

from messaging import views

# /espace/messages/ (namespace ``messaging``): the patient side.
patient_patterns = (
    [
        path("", views.patient_inbox, name="inbox"),
        path("<int:thread_id>/", views.patient_thread, name="thread"),
        path("<int:thread_id>/archiver/", views.patient_thread_archive, name="archive"),
    ],
    "messaging",
)

# /pro/messages/ (namespace ``pro_messaging``): the professional side.
pro_patterns = (
    [
        path("", views.professional_inbox, name="inbox"),
        path("<int:thread_id>/", views.professional_thread, name="thread"),
        path(
            "<int:thread_id>/etat/<str:state>/",
            views.professional_thread_state,
            name="thread_state",
        ),
        path("nouveau/<int:patient_id>/", views.thread_start, name="start"),
    ],
    "pro_messaging",
)
