"""Public questionnaire pages a patient opens from a link (no login)."""

from django.urls import URLPattern

app_name = "questionnaire"

urlpatterns: list[URLPattern] = []
