from django.urls import path  # noqa: F401  (views are added here as they are built)

app_name = "intake"

urlpatterns: list = []  # type: ignore[type-arg]
