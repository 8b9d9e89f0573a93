from django.urls import path

from messpace.statistics import views

app_name = "console-figures"

urlpatterns = [
    path("", views.figures, name="figures"),
    path("export.csv", views.figures_csv, name="figures_csv"),
]
