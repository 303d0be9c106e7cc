"""Per-patient outcome trajectories (scores over time, flags, stop signal)."""

from django.urls import path

from ketaclinic.outcomes import trajectory_views

app_name = "trajectory"

urlpatterns = [
    path("<int:patient_id>/", trajectory_views.patient, name="patient"),
    path("<int:patient_id>/chart.svg", trajectory_views.chart_svg, name="chart_svg"),
]
