from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "ketaclinic.followup"
    label = "followup"
    verbose_name = "Follow-up: questionnaires, trajectories and the outcomes dashboard"
