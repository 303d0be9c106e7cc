"""Public questionnaire pages a patient opens from a link (no login), mounted at /q/."""

from django.urls import path

from ketaclinic.outcomes import public_views

app_name = "questionnaire"

urlpatterns = [
    path("thanks/", public_views.thanks, name="thanks"),
    path("<str:token>/", public_views.fill, name="fill"),
]
