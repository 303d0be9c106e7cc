"""The clinic outcomes dashboard and its CSV export."""

from django.urls import URLPattern

app_name = "dashboard"

urlpatterns: list[URLPattern] = []
