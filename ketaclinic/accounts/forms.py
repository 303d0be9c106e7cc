from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

ONCE_FIELD = "token"


class OnceForm(forms.BaseForm):
    """A form that creates something carries a one-time ``token`` (hidden, a fresh UUID each time the form is shown),
    so the Back button and resubmit, a double click or a retried POST saves once: ``errors.submitted`` records the
    token with the write and answers a second use with "already saved" (the chair forms pass it to their services).
    Put it first in the bases: ``class TrialForm(OnceForm, forms.ModelForm[...])``. ``once_required``: refuse a POST
    without a token (the chair forms); elsewhere a client that sends none (a script, an old page) is not guarded."""

    once_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[ONCE_FIELD] = forms.UUIDField(widget=forms.HiddenInput, required=self.once_required)
        if not self.is_bound:
            self.initial.setdefault(ONCE_FIELD, uuid.uuid4())

    def data_without_token(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != ONCE_FIELD}


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OneTimeCodeForm(forms.Form):
    code = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Only the address is read here; the view hands it to services.request_password_reset (which sends)."""

    email = forms.EmailField(
        label="Your work e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]  # generic only in the stubs
    """Django's form (the two entries must match; the password validators run on clean)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = "At least 12 characters. A few unrelated words make a good one."
        self.fields["new_password2"].label = "The new password again"
