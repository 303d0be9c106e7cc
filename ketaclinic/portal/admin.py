"""Read-only views of the portal's rows for the back office (no token is ever shown: only its hash is stored)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ketaclinic.portal.models import SignInLink


@admin.register(SignInLink)
class SignInLinkAdmin(admin.ModelAdmin[SignInLink]):
    list_display = ("patient", "channel", "sent_to", "created_at", "expires_at", "used_at", "closed_at")
    list_filter = ("channel",)
    readonly_fields = ("patient", "channel", "sent_to", "created_at", "expires_at", "used_at", "dob_failures")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SignInLink | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignInLink | None = None) -> bool:
        return False
