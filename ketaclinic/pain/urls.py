"""The pain plan's pages, mounted at /pain/ (namespace ``pain``)."""

from django.urls import path

from ketaclinic.pain import views

app_name = "pain"

urlpatterns = [
    path("<int:patient_id>/", views.plan, name="plan"),
    path("<int:patient_id>/new/", views.plan_create, name="plan_create"),
    path("<int:patient_id>/referrals/new/", views.referral_create, name="referral_create"),
    path("<int:patient_id>/referrals/<int:referral_id>/status/", views.referral_status, name="referral_status"),
    path("<int:patient_id>/medication-entries/new/", views.medication_entry_create, name="medication_entry_create"),
    path("<int:patient_id>/<str:kind>/<int:pk>/entered-in-error/", views.entered_in_error, name="entered_in_error"),
]
