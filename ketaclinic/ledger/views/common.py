"""Helpers the ledger views share: the write flow (a witness's refusal next to its fields) and witnesses signing."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.forms import BaseForm
from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from ketaclinic.accounts import errors
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.ledger.forms import WitnessMixin
from ketaclinic.ledger.services import witnesses

# A service names a witness by its prefix; the form asks for the witness's username under that prefix.
submitted = partial(
    errors.submitted, aliases={"witness": "witness_username", "second_witness": "second_witness_username"}
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
