from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    """Treatment sessions (named `infusions`, not `sessions`, which clashes with django.contrib.sessions)."""

    name = "ketaclinic.infusions"
    label = "infusions"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        # Imported here, not at module level: Django loads models only after every app config (app loading rules).
        from ketaclinic.infusions import queries
        from ketaclinic.outcomes import hooks
        from ketaclinic.scheduling import hooks as calendar_hooks

        hooks.register_session_counter(queries.sessions_started_before)
        hooks.register_cssrs_place("infusions", queries.cssrs_place, priority=10)
        calendar_hooks.register_sessions_for_appointments("infusions", queries.sessions_for_appointments)
