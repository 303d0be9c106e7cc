"""Per-patient outcome trajectories (scores over time, flags, stop signal)."""

from django.urls import URLPattern

app_name = "trajectory"

urlpatterns: list[URLPattern] = []
