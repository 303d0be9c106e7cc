from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "ketaclinic.fhir"
    label = "fhir"
    verbose_name = "FHIR R4"

    def ready(self) -> None:
        from ketaclinic.fhir.letters import freeze
        from ketaclinic.followup.hooks import register_document_freezer

        # A signed progress letter's FHIR document is frozen with its signature (followup/hooks.py).
        register_document_freezer("fhir.letters", freeze)
