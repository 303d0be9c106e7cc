"""Errors services raise for a request that is not allowed; views turn them into messages, form errors or HTTP codes.

``submitted`` is the write view's one flow: a valid POST calls the view's service; a refusal goes back into the form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse


class ServiceError(Exception):
    """A write was refused; nothing was changed. ``field`` names the offending input where there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    """The actor's role, licence or location does not allow this write."""


Done = HttpResponse | tuple[str, HttpResponse]
"""What an accepted write answers: where to go next, with the success message to flash (unless it flashed its own)."""


def apply_errors(
    form: BaseForm, error: ValidationError | ServiceError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal next to the field it names (``aliases``: the form's name for a service's field), or at
    the top of the form."""
    if isinstance(error, ServiceError):
        name = (aliases or {}).get(error.field or "", error.field)
        form.add_error(name if name in form.fields else None, error.message)
        return
    for field, field_messages in error.message_dict.items():
        target = field if field in form.fields else None
        prefix = "" if target or field == NON_FIELD_ERRORS else f"{field.replace('_', ' ')}: "
        for message in field_messages:
            form.add_error(target, prefix + message)


def submitted(
    request: HttpRequest,
    form: BaseForm,
    act: Callable[[dict[str, Any]], Done],
    aliases: Mapping[str, str] | None = None,
) -> HttpResponse | None:
    """On a valid POST run ``act(form.cleaned_data)``, the view's service call: answer its response, flashing its
    success message; on a refusal put the errors into the form. None means: show the form (again)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        done = act(form.cleaned_data)
    except (ValidationError, ServiceError) as error:
        apply_errors(form, error, aliases)
        return None
    if isinstance(done, tuple):
        text, done = done
        messages.success(request, text)
    return done
