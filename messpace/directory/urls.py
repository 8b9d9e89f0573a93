from django.urls import path

from messpace.directory import views

app_name = "directory"

urlpatterns = [
    path("recherche/", views.search, name="search"),
]
