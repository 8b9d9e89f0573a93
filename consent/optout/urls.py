from django.urls import path

from consent.optout import views

# Mounted at the site's root: the addresses printed on the letters stay short.
urlpatterns = [
    path("opposition/", views.notice_answer, name="notice_answer"),
    path("support/avis/", views.caller_notice, name="support_caller_notice"),
]
