from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "ketaclinic.followup"
    label = "followup"
    verbose_name = "Follow-up: questionnaires, trajectories and the outcomes dashboard"

    def ready(self) -> None:
        from ketaclinic.followup.queries.letters import letter_prompts
        from ketaclinic.patients.hooks import register_chart_prompts

        register_chart_prompts("followup.letters", letter_prompts)
