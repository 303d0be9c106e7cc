from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ketaclinic.billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from ketaclinic.billing import hooks

        hooks.register()
