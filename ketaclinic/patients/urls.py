from django.urls import path

from ketaclinic.patients import document_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:patient_id>/", views.patient_chart, name="chart"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/measurements/new/", views.measurement_create, name="measurement_create"),
    path("<int:patient_id>/conditions/new/", views.condition_create, name="condition_create"),
    path("<int:patient_id>/medications/new/", views.medication_create, name="medication_create"),
    path("<int:patient_id>/allergies/new/", views.allergy_create, name="allergy_create"),
    path("<int:patient_id>/allergies/none-known/", views.nkda_create, name="nkda_create"),
    path("<int:patient_id>/consents/new/", views.consent_create, name="consent_create"),
    path("<int:patient_id>/documents/", document_views.document_list, name="documents"),
    path("<int:patient_id>/documents/upload/", document_views.document_upload, name="document_upload"),
    path("<int:patient_id>/documents/<int:document_id>/", document_views.document_download, name="document_download"),
    path("<int:patient_id>/documents/<int:document_id>/file/", document_views.document_file, name="document_file"),
    path(
        "<int:patient_id>/documents/<int:document_id>/entered-in-error/",
        document_views.document_entered_in_error,
        name="document_entered_in_error",
    ),
    path(
        "<int:patient_id>/entries/<str:kind>/<int:row_id>/entered-in-error/",
        views.entered_in_error,
        name="entered_in_error",
    ),
]
