from django.apps import AppConfig


class HomecareConfig(AppConfig):
    name = "ketaclinic.homecare"
    verbose_name = "Home programme"
