"""Helpers the ledger views share: errors next to their fields, and witnesses signing in the form."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.ledger.forms import WitnessMixin
from ketaclinic.ledger.services import witnesses

FIELD_ALIASES = {"drawn_ml": "drawn_ml", "labels": "labels", "witness": "witness_username"}


def apply_errors(form: BaseForm, error: ValidationError | ServiceError) -> None:
    """Put a service's refusal next to the field it names (or at the top of the form)."""
    if isinstance(error, ServiceError):
        name = FIELD_ALIASES.get(error.field or "", error.field)
        if name == "second_witness":
            name = "second_witness_username"
        form.add_error(name if name in form.fields else None, error.message)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(
                target, message if target else f"{field.replace('_', ' ')}: {message}".replace("__all__: ", "")
            )


def sign_all(request: AuthedRequest, form: Any, location: Location) -> dict[str, witnesses.WitnessSignature | None]:
    """Re-authenticate every witness who filled in the form (raises WitnessRejected, already audited)."""
    signatures: dict[str, witnesses.WitnessSignature | None] = {}
    for prefix, _ in form.witness_prefixes:
        credentials = form.credentials(prefix)
        signatures[prefix] = (
            None
            if credentials is None
            else witnesses.sign(request=request, credentials=credentials, actor=request.user, location=location)
        )
    return signatures


def clear_secrets(form: BaseForm) -> None:
    """Never send a witness's password or code back to the browser after a refused submission."""
    if isinstance(form, WitnessMixin) and form.is_bound:
        data = QueryDict(mutable=True)
        data.update(form.data)
        for name in form.witness_field_names():
            if not name.endswith("_username"):
                data[name] = ""
        form.data = data


def form_page(
    request: AuthedRequest, form: BaseForm, *, title: str, intro: str = "", submit: str = "Save", **extra: Any
) -> HttpResponse:
    clear_secrets(form)
    witness_names = form.witness_field_names() if isinstance(form, WitnessMixin) else []
    groups = []
    if isinstance(form, WitnessMixin):
        for prefix, label in form.witness_prefixes:
            groups.append((label, [form[f"{prefix}_{n}"] for n in ("username", "password", "otp_token")]))
    main = [form[name] for name in form.fields if name not in witness_names]
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit,
        "main_fields": main,
        "witness_groups": groups,
    }
    context.update(extra)
    return render(request, "ledger/form.html", context)
