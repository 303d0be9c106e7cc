"""The clinic outcomes dashboard and its CSV export."""

from django.urls import path

from ketaclinic.outcomes import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.index, name="index"),
    path("export.csv", dashboard_views.export_csv, name="export_csv"),
]
