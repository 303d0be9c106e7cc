from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    """Treatment sessions (named `infusions`, not `sessions`, which clashes with django.contrib.sessions)."""

    name = "ketaclinic.infusions"
    label = "infusions"
    verbose_name = "Treatment sessions"
