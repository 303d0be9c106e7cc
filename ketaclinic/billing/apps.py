from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ketaclinic.billing"
    verbose_name = "Billing"
