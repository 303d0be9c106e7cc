"""Inventories: start a count, enter it, finalise it; annotate or escalate what differs from the books."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.ledger import forms, queries
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Discrepancy, Inventory
from ketaclinic.ledger.services.common import policy_for
from ketaclinic.ledger.views.common import clear_secrets, form_page, sign_all, submitted


@require_GET
@staff_view("ledger.view")
def inventory_list(request: AuthedRequest) -> HttpResponse:
    inventories = queries.inventories_visible_to(request.user).order_by("-taken_at")
    dues = [(location, ledger.inventory_due(location)) for location in queries.ledger_locations(request.user)]
    discrepancies = Discrepancy.objects.filter(
        location__in=queries.ledger_locations(request.user), status=Discrepancy.Status.OPEN
    ).select_related("container", "product")
    return render(
        request,
        "ledger/inventories.html",
        {"inventories": inventories, "dues": dues, "discrepancies": discrepancies},
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.inventory")
def inventory_new(request: AuthedRequest) -> HttpResponse:
    form = forms.InventoryStartForm(request.POST or None, user=request.user)

    def act(data: dict[str, Any]) -> Done:
        inventory = ledger.start_inventory(
            by=request.user,
            location=data["location"],
            kind=data["kind"],
            taken_at=data["taken_at"],
            business_timing=data["business_timing"],
            notes=data["notes"],
        )
        return redirect("ledger:inventory", inventory_id=inventory.pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Start an inventory",
        intro="Initial: on the first day of handling (zero if nothing is on hand). Biennial: at most 2 years after "
        "the last (your clinic may ask sooner). Ad hoc: any other count, e.g. at a change of staff.",
        submit="Start counting",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.view")
def inventory_detail(request: AuthedRequest, inventory_id: int) -> HttpResponse:
    inventory = queries.get_inventory_for_user(request.user, inventory_id)
    lines = list(inventory.lines.select_related("container__lot__product").order_by("container__label"))
    editable = inventory.status == Inventory.Status.IN_PROGRESS and role_can(request.user.role, "ledger.inventory")
    form = forms.CountForm(request.POST if request.method == "POST" and editable else None, lines=lines)

    def act(data: dict[str, Any]) -> Done:
        counts = {
            line.pk: ledger.Count(
                counted_ml=data[f"counted_{line.pk}"],
                estimated=data[f"estimated_{line.pk}"],
                estimation_reason=data[f"reason_{line.pk}"],
            )
            for line in lines
        }
        ledger.record_counts(by=request.user, inventory=inventory, counts=counts)
        text = "Counts saved."
        if request.POST.get("action") == "finalise":
            ledger.finalise_inventory(by=request.user, inventory=inventory)
            found = Discrepancy.objects.filter(line__inventory=inventory).count()
            text = f"Inventory finalised: {found} discrepanc{'y' if found == 1 else 'ies'}."
        return text, redirect("ledger:inventory", inventory_id=inventory.pk)

    if done := submitted(request, form, act):
        return done
    audit.record(actor=request.user, action="ledger.view_inventory", obj=inventory)
    discrepancies = Discrepancy.objects.filter(line__inventory=inventory).select_related("container")
    return render(
        request,
        "ledger/inventory.html",
        {"inventory": inventory, "form": form, "editable": editable, "discrepancies": discrepancies},
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.view")
def discrepancy_detail(request: AuthedRequest, discrepancy_id: int) -> HttpResponse:
    discrepancy = queries.get_discrepancy_for_user(request.user, discrepancy_id)
    can_act = role_can(request.user.role, "ledger.inventory") and discrepancy.status == Discrepancy.Status.OPEN
    action = request.POST.get("action") if request.method == "POST" and can_act else None
    annotate = forms.AnnotateForm(request.POST if action == "annotate" else None, prefix="annotate")
    escalate = forms.EscalateForm(request.POST if action == "escalate" else None, prefix="escalate")

    def annotated(data: dict[str, Any]) -> Done:
        signatures = sign_all(request, annotate, discrepancy.location) if data["adjust_books"] else {}
        ledger.annotate_discrepancy(
            by=request.user,
            discrepancy=discrepancy,
            annotation=data["annotation"],
            adjust_books=data["adjust_books"],
            witness=signatures.get("witness"),
        )
        return "Discrepancy annotated.", redirect("ledger:discrepancy", discrepancy_id=discrepancy.pk)

    def escalated(data: dict[str, Any]) -> Done:
        report = ledger.escalate_discrepancy(
            by=request.user, discrepancy=discrepancy, kind=data["kind"], description=data["description"]
        )
        messages.warning(request, f"Escalated: written notice due by {report.notice_due_on:%a %d %b %Y}.")
        return redirect("ledger:theft_loss", report_id=report.pk)

    if done := submitted(request, annotate, annotated) or submitted(request, escalate, escalated):
        return done
    clear_secrets(annotate)
    audit.record(actor=request.user, action="ledger.view_discrepancy", obj=discrepancy)
    return render(
        request,
        "ledger/discrepancy.html",
        {
            "discrepancy": discrepancy,
            "annotate": annotate,
            "escalate": escalate,
            "can_act": can_act,
            "policy": policy_for(discrepancy.location.clinic_id),
            "witness_fields": [annotate[name] for name in annotate.witness_field_names()],
            "annotate_fields": [annotate["annotation"], annotate["adjust_books"]],
        },
    )
