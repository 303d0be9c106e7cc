"""Public (no login) URLs of the intake app, mounted at /consultation/ (CONTRACTS §3)."""

from django.urls import path

from ketaclinic.intake import public_views

app_name = "consultation"

urlpatterns = [
    path("", public_views.request_form, name="request"),
    path("thanks/", public_views.thanks, name="thanks"),
]
