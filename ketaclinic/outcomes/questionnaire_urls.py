"""Staff pages for questionnaire links: send one now, see what was sent, revoke."""

from django.urls import path

from ketaclinic.outcomes import questionnaire_views

app_name = "questionnaires"

urlpatterns = [
    path("<int:patient_id>/", questionnaire_views.patient_links, name="patient_links"),
    path("<int:patient_id>/revoke/", questionnaire_views.revoke, name="revoke"),
]
