from django.contrib import admin

from ketaclinic.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    """Read-only listing; patient data is changed in the staff application, where every change is audited."""

    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "location")
    search_fields = ("mrn", "family_name")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
