from django.urls import path

from messpace.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
]
