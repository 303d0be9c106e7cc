"""The shape the ledger's write views share: a valid POST calls one service; a refusal goes back into the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.ledger.views.common import apply_errors

REFUSED = (ValidationError, ServiceError)

Done = tuple[str, HttpResponse]  # what an accepted write returns: the success message and where to go next


def submitted(request: AuthedRequest, form: BaseForm, act: Callable[[dict[str, Any]], Done]) -> HttpResponse | None:
    """On a valid POST run ``act(form.cleaned_data)``: on success flash its message and return its response; on a
    refusal (ValidationError or ServiceError) put the errors into the form. None means: show the form (again)."""
    if request.method == "POST" and form.is_valid():
        try:
            text, response = act(form.cleaned_data)
        except REFUSED as error:
            apply_errors(form, error)
        else:
            messages.success(request, text)
            return response
    return None
