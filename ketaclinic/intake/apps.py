from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ketaclinic.intake"
    label = "intake"

    def ready(self) -> None:
        # Imported here, not at module level: Django loads models only after every app config (app loading rules).
        from ketaclinic.intake import queries
        from ketaclinic.outcomes import hooks

        hooks.register_cssrs_place("intake", queries.cssrs_place, priority=20)
