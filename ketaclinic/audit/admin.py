from django.contrib import admin

from ketaclinic.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: nobody, admins included, edits or deletes audit rows (security.md H5)."""

    list_display = ("seq", "occurred_at", "actor_username", "action", "object_type", "object_id", "outcome")
    list_filter = ("outcome",)
    search_fields = ("actor_username", "action", "object_id")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
