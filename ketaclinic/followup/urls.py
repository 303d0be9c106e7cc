"""The follow-up app's pages. ``ketaclinic.urls`` mounts each list under its own prefix and URL namespace:

- ``questionnaire_public_patterns`` at /q/ (namespace ``questionnaire``): the questionnaire a patient fills from a
  link, no login;
- ``questionnaire_patterns`` at /outcomes/questionnaires/ (``questionnaires``): staff send, see and revoke links;
- ``trajectory_patterns`` at /outcomes/patient/ (``trajectory``): a patient's scores over time, flags, stop signal;
- ``dashboard_patterns`` at /outcomes/dashboard/ (``dashboard``): the clinic outcomes dashboard and its CSV export;
- ``letter_patterns`` at /outcomes/letters/ (``letters``): progress letters to the referring clinician;
- ``plan_patterns`` under /plans/ (joined to the ``plans`` namespace): adjusting a plan from its trajectory.
"""

from django.urls import path

from ketaclinic.followup.views import adjustments, dashboard, letters, public, questionnaires, trajectory

questionnaire_public_patterns = [
    path("thanks/", public.thanks, name="thanks"),
    path("<str:token>/", public.fill, name="fill"),
]

questionnaire_patterns = [
    path("<int:patient_id>/", questionnaires.patient_links, name="patient_links"),
    path("<int:patient_id>/revoke/", questionnaires.revoke, name="revoke"),
]

trajectory_patterns = [
    path("<int:patient_id>/", trajectory.patient, name="patient"),
    path("<int:patient_id>/chart.svg", trajectory.chart_svg, name="chart_svg"),
]

dashboard_patterns = [
    path("", dashboard.index, name="index"),
    path("export.csv", dashboard.export_csv, name="export_csv"),
]

letter_patterns = [
    path("patient/<int:patient_id>/", letters.patient_letters, name="patient"),
    path("<int:letter_id>/", letters.detail, name="detail"),
    path("<int:letter_id>/sign/", letters.sign, name="sign"),
    path("<int:letter_id>/letter.pdf", letters.pdf, name="pdf"),
    path("<int:letter_id>/entered-in-error/", letters.entered_in_error, name="entered_in_error"),
    path("<int:letter_id>/addendum/", letters.add_addendum, name="addendum"),
    path("addendum/<int:addendum_id>/addendum.pdf", letters.addendum_pdf, name="addendum_pdf"),
    path(
        "addendum/<int:addendum_id>/entered-in-error/",
        letters.addendum_entered_in_error,
        name="addendum_entered_in_error",
    ),
]

plan_patterns = [
    path("plan/<int:plan_id>/adjust/", adjustments.adjust, name="adjust"),
]
