from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketaclinic.plans"
    label = "plans"
    verbose_name = "Treatment plans and orders"

    def ready(self) -> None:
        # Imported here, not at module level: Django loads models only after every app config (app loading rules).
        from ketaclinic.outcomes import hooks
        from ketaclinic.plans import queries

        hooks.register_plan_dimensions(queries.latest_plan_dimensions)
