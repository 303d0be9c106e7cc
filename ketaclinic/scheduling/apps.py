from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ketaclinic.scheduling"
    label = "scheduling"
    verbose_name = "Calendar: chairs, rooms, opening hours, closures, rosters and appointments"

    def ready(self) -> None:
        # Imported here, not at module level: Django loads models only after every app config (app loading rules).
        from ketaclinic.plans import hooks
        from ketaclinic.scheduling.services.amendments import move_to_amendment
        from ketaclinic.scheduling.services.booking import release_orders

        hooks.on_version_superseded("scheduling", move_to_amendment)
        hooks.on_orders_cancelled("scheduling", release_orders)
