"""Read-only back-office listings: the ledger is written only through its services (and never edited)."""

from typing import Any

from django.contrib import admin

from ketaclinic.ledger.models import Container, LedgerEntry


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnly):
    list_display = ("seq", "occurred_at", "kind", "container", "quantity_ml", "balance_after_ml", "actor_name")
    list_filter = ("kind",)


@admin.register(Container)
class ContainerAdmin(ReadOnly):
    list_display = ("label", "location", "lot", "status", "balance_ml")
    list_filter = ("status",)
