from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ketaclinic.scheduling"
    label = "scheduling"
    verbose_name = "Calendar: chairs, rooms, opening hours, closures, rosters and appointments"
