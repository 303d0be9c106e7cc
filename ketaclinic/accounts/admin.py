"""Back office for clinic admins: users, clinics, locations, licences. Saves go through the audited service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ketaclinic.accounts import services
from ketaclinic.accounts.errors import PermissionDenied
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
    actions = ["deactivate", "reset_second_factor"]

    @admin.action(description="Deactivate (ends their sessions and API tokens now)")
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            services.deactivate_user(by=request.user, user=user, reason="deactivated in the back office")  # type: ignore[arg-type]

    @admin.action(description="Reset second factor (they set up their authenticator app again at next sign-in)")
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """Asks for a written reason on a confirmation page, then resets each selected user (audited with it)."""
        form = ResetSecondFactorForm(request.POST if request.POST.get("confirm") else None)
        if form.is_valid():
            done: list[str] = []
            for user in queryset:
                try:
                    services.reset_second_factor(by=request.user, user=user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
                except (PermissionDenied, ValidationError) as refused:
                    self.message_user(request, f"{user.username}: {_first_message(refused)}", messages.ERROR)
                else:
                    done.append(user.username)
            if done:
                names = ", ".join(done)
                self.message_user(request, f"Second factor reset for {names}; they enrol again at next sign-in.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reset second factor",
            "opts": self.model._meta,
            "users": list(queryset),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/user/reset_second_factor.html", context)


def _first_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class ResetSecondFactorForm(forms.Form):
    reason = forms.CharField(
        label="Reason (kept in the audit log)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phone lost, reported by phone on 6 Dec; identity checked in person.",
    )


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
