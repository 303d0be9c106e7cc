from django.apps import AppConfig


class PainConfig(AppConfig):
    name = "ketaclinic.pain"
    label = "pain"
    verbose_name = "Multimodal pain plan"
