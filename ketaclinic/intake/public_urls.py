"""Public (no login) URLs of the intake app, mounted at /consultation/ (CONTRACTS §3)."""

from django.urls import path  # noqa: F401  (views are added here as they are built)

app_name = "consultation"

urlpatterns: list = []  # type: ignore[type-arg]
