from django.urls import path

from ketaclinic.homecare import monitoring_views, views

app_name = "homecare"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("patient/<int:patient_id>/", views.programme, name="programme"),
    path("patient/<int:patient_id>/prescribe/", views.prescribe, name="prescribe"),
    path("patient/<int:patient_id>/record/", views.record, name="record"),
    path("patient/<int:patient_id>/stop/", monitoring_views.stop, name="stop"),
]
