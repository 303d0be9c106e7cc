"""The intake app's pages. ``urlpatterns`` (namespace ``intake``) are the staff pages under /intake/;
``public_patterns`` (namespace ``consultation``, CONTRACTS §3) the public consultation request form under
/consultation/, no login."""

from django.urls import path

from ketaclinic.intake.views import assessment as views
from ketaclinic.intake.views import eligibility as eligibility_views
from ketaclinic.intake.views import public as public_views
from ketaclinic.intake.views import triage as triage_views

app_name = "intake"

public_patterns = [
    path("", public_views.request_form, name="request"),
    path("thanks/", public_views.thanks, name="thanks"),
]

urlpatterns = [
    # Triage of consultation requests (front desk, nurses, prescribers)
    path("requests/", triage_views.request_list, name="request_list"),
    path("requests/<int:request_id>/", triage_views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/status/", triage_views.request_status, name="request_status"),
    path("requests/<int:request_id>/notes/", triage_views.request_note, name="request_note"),
    path("requests/<int:request_id>/review/", triage_views.request_review, name="request_review"),
    path("requests/<int:request_id>/link/", triage_views.request_link, name="request_link"),
    path("requests/<int:request_id>/convert/", triage_views.request_convert, name="request_convert"),
    path(
        "requests/<int:request_id>/documents/<int:document_id>/",
        triage_views.request_document,
        name="request_document",
    ),
    # Intake assessment on the chart (nurses, prescribers)
    path("patients/<int:patient_id>/", views.patient_intakes, name="patient_intakes"),
    path("assessments/<int:assessment_id>/", views.assessment, name="assessment"),
    path("assessments/<int:assessment_id>/background/", views.assessment_background, name="assessment_background"),
    path("assessments/<int:assessment_id>/vitals/", views.assessment_vitals, name="assessment_vitals"),
    path("assessments/<int:assessment_id>/safety/", views.assessment_safety, name="assessment_safety"),
    path("assessments/<int:assessment_id>/trials/new/", views.trial_create, name="trial_create"),
    path("assessments/<int:assessment_id>/medications/", views.medications, name="medications"),
    path(
        "assessments/<int:assessment_id>/lines/<str:kind>/<int:row_id>/entered-in-error/",
        views.line_entered_in_error,
        name="line_entered_in_error",
    ),
    path("assessments/<int:assessment_id>/scales/<str:instrument_id>/", views.instrument, name="instrument"),
    path("assessments/<int:assessment_id>/submit/", views.assessment_submit, name="assessment_submit"),
    # Eligibility review and sign-off (prescribers sign)
    path("patients/<int:patient_id>/eligibility/", eligibility_views.eligibility_review, name="eligibility_review"),
    path("decisions/<int:decision_id>/", eligibility_views.decision_detail, name="decision_detail"),
    path(
        "decisions/<int:decision_id>/entered-in-error/",
        eligibility_views.decision_entered_in_error,
        name="decision_entered_in_error",
    ),
]
