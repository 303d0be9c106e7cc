from django.urls import path  # noqa: F401  (views are added here as they are built)

app_name = "ledger"

urlpatterns: list = []  # type: ignore[type-arg]
