"""Errors services raise for a request that is not allowed; views turn them into messages, form errors or HTTP codes.

``submitted`` is the write view's one flow: a valid POST calls the view's service; a refusal goes back into the form.
A form with a one-time token (``accounts.forms.OnceForm``) saves once: the token is recorded in the write's
transaction, and the same token again changes nothing and says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from ketaclinic.accounts.forms import ONCE_FIELD, OnceForm
from ketaclinic.accounts.models import FormSubmission


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


def fitted(value: str, *, field: str, limit: int) -> str:
    """``value`` stripped, or a refusal naming the field when it is longer than the column holds: text is never cut
    silently (a reason or a reference cut short says something else)."""
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(
            {field: f"At most {limit} characters ({len(text)} given): shorten it. Nothing was saved."}
        )
    return text


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
    once = form if isinstance(form, OnceForm) else None
    token = once.cleaned_data.get(ONCE_FIELD) if once is not None else None
    if once is None or token is None:
        data = once.data_without_token() if once is not None else form.cleaned_data
        try:
            done = act(data)
        except (ValidationError, ServiceError) as error:
            apply_errors(form, error, aliases)
            return None
        return _answer(request, done)
    if (earlier := FormSubmission.objects.filter(token=token).first()) is not None:
        return _already_saved(request, earlier)
    user = getattr(request, "user", None)
    try:
        with transaction.atomic():
            done = act(once.data_without_token())
            response = done[1] if isinstance(done, tuple) else done
            FormSubmission.objects.create(
                token=token,
                user=user if user is not None and user.is_authenticated else None,
                form=type(form).__name__[:60],
                redirect_to=response.url[:500] if isinstance(response, HttpResponseRedirect) else "",
            )
    except (ValidationError, ServiceError) as error:
        apply_errors(form, error, aliases)
        return None
    except IntegrityError:
        # A twin of this POST committed first (two tabs, a double click on PostgreSQL): this one rolled back whole.
        if (earlier := FormSubmission.objects.filter(token=token).first()) is None:
            raise
        return _already_saved(request, earlier)
    return _answer(request, done)


ALREADY_SAVED = (
    "Already saved: this form had been submitted before (the page was sent again, e.g. after Back or a double "
    "click). Nothing was changed or added."
)


def _answer(request: HttpRequest, done: Done) -> HttpResponse:
    if isinstance(done, tuple):
        text, done = done
        messages.success(request, text)
    return done


def replayed(request: HttpRequest) -> HttpResponse | None:
    """For a view that refuses before its form is read (the thing was already created, so the page is gone): the
    "already saved" answer when the POST carries a token that was used, else None."""
    try:
        token = uuid.UUID(str(request.POST.get(ONCE_FIELD, "")))
    except ValueError:
        return None
    earlier = FormSubmission.objects.filter(token=token).first()
    return None if earlier is None else _already_saved(request, earlier)


def _already_saved(request: HttpRequest, earlier: FormSubmission) -> HttpResponse:
    messages.info(request, ALREADY_SAVED)
    user = getattr(request, "user", None)
    mine = earlier.user_id is None or (user is not None and earlier.user_id == user.pk)
    return redirect(earlier.redirect_to if mine and earlier.redirect_to else request.path)
