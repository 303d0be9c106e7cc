"""Staff pages for questionnaire links: send one now, see what was sent, revoke."""

from django.urls import URLPattern

app_name = "questionnaires"

urlpatterns: list[URLPattern] = []
