"""Back office for clinic admins: users, clinics, locations, licences. Saves go through the audited service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from ketaclinic.accounts import services
from ketaclinic.accounts.models import ApiToken, Clinic, Licence, Location, User


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # shared by admins of several models
    """Every save is audited in the same transaction; nothing can be deleted from here."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.audited_admin_save(by=request.user, obj=obj, change=change)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LicenceInline(admin.TabularInline[Licence, User]):
    model = Licence
    extra = 0
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User], AuditedAdmin):
    list_display = ("username", "get_full_name", "role", "clinic", "is_active")
    list_filter = ("role", "is_active", "clinic")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Clinic", {"fields": ("role", "title", "clinic", "locations")}),
    )
    inlines = [LicenceInline]
    actions = ["deactivate"]

    @admin.action(description="Deactivate (ends their sessions and API tokens now)")
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            services.deactivate_user(by=request.user, user=user, reason="deactivated in the back office")  # type: ignore[arg-type]


@admin.register(Clinic)
class ClinicAdmin(AuditedAdmin):
    list_display = ("name", "timezone")


@admin.register(Location)
class LocationAdmin(AuditedAdmin):
    list_display = ("name", "clinic", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at", "expires_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are made with `ketaclinic token create`, which shows them once

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
