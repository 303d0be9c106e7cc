from django.urls import path

from ketaclinic.homecare import monitoring_views, report_views, views

app_name = "homecare"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("report/", report_views.clinic_report, name="clinic_report"),
    path("report.csv", report_views.clinic_report_csv, name="clinic_report_csv"),
    path("patient/<int:patient_id>/", views.programme, name="programme"),
    path("patient/<int:patient_id>/prescribe/", views.prescribe, name="prescribe"),
    path("patient/<int:patient_id>/record/", views.record, name="record"),
    path("patient/<int:patient_id>/stop/", monitoring_views.stop, name="stop"),
    path("patient/<int:patient_id>/rx/<int:rx_id>/dispense/", views.dispense, name="dispense"),
    path("patient/<int:patient_id>/rx/<int:rx_id>/waste/", views.waste, name="waste"),
    path("patient/<int:patient_id>/review/<int:review_id>/", views.review, name="review"),
    path(
        "patient/<int:patient_id>/entered-in-error/<str:kind>/<int:row_id>/",
        views.entered_in_error,
        name="entered_in_error",
    ),
    path("patient/<int:patient_id>/report/", report_views.patient_report, name="patient_report"),
    path("patient/<int:patient_id>/report.csv", report_views.patient_report_csv, name="patient_report_csv"),
]
