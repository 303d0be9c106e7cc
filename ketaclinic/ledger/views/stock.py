"""The ledger overview, containers and entries, and the everyday writes: receive, administer, waste, quarantine,
adjust and reverse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import expiry, quantities
from ketaclinic.ledger import forms, queries
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Container, Discrepancy, Kind, LedgerEntry, TheftLossReport
from ketaclinic.ledger.services import holds as holds_service
from ketaclinic.ledger.views.common import form_page, sign_all, submitted
from ketaclinic.patients.queries import get_patient_for_user

# The published sources quoted next to the expiry marks and the "due for destruction" list.
RULES = {
    "not_for_use": expiry.NOT_FOR_USE_SOURCE,
    "inventory": expiry.INVENTORY_SOURCE,
    "disposal": expiry.DISPOSAL_SOURCE,
}


def _location_summary(request: AuthedRequest, location: Any) -> dict[str, Any]:
    window = queries.expiry_window(location.clinic)
    today = window.today  # the clinic's calendar day: expiry is judged there, never in UTC
    totals: dict[Any, dict[str, Any]] = {}
    on_hand = Container.objects.filter(location=location, balance_ml__gt=0).select_related("lot__product")
    for container in on_hand.order_by("lot__product__name", "pk"):  # summed in Python: exact on SQLite too
        product = container.lot.product
        row = totals.setdefault(product.pk, {"product": product.name, "containers": 0, "ml": Decimal("0.00")})
        row["containers"] += 1
        row["ml"] += container.balance_ml
        row["mg"] = quantities.mg_from_ml(row["ml"], product.concentration_mg_per_ml)
    rows = list(totals.values())
    return {
        "location": location,
        "registrant": getattr(location, "dea_registrant", None),
        "stock": rows,
        "due": ledger.inventory_due(location, today),
        "open_discrepancies": Discrepancy.objects.filter(location=location, status=Discrepancy.Status.OPEN).count(),
        "open_reports": [r for r in TheftLossReport.objects.filter(location=location) if r.is_open()],
        "expired": Container.objects.filter(
            location=location, status__in=forms.USABLE, balance_ml__gt=0, lot__expires_on__lt=today
        ).select_related("lot"),
        "expiring": _marked(
            queries.usable(Container.objects.filter(location=location), today)
            .filter(lot__expires_on__lte=today + dt.timedelta(days=window.soon_days))
            .select_related("lot__product")
            .order_by("lot__expires_on", "label"),
            window,
        ),
        "soon_days": window.soon_days,
        "destruction": _marked(
            queries.due_for_destruction(Container.objects.filter(location=location), today)
            .select_related("lot__product")
            .order_by("lot__expires_on", "label"),
            window,
        ),
        "open_containers": Container.objects.filter(location=location, status=Container.Status.OPEN).select_related(
            "lot__product"
        ),
    }


def _marked(containers: Any, window: queries.ExpiryWindow) -> list[Container]:
    """The containers, each with ``expiry_state`` (the domain's Expiry on the clinic's day) for the templates."""
    rows = list(containers)
    for container in rows:
        container.expiry_state = container.expiry(window.today, window.soon_days)
    return rows


@require_GET
@staff_view("ledger.view")
def home(request: AuthedRequest) -> HttpResponse:
    locations = [_location_summary(request, location) for location in queries.ledger_locations(request.user)]
    audit.record(actor=request.user, action="ledger.view_overview", detail={"locations": len(locations)})
    return render(request, "ledger/home.html", {"locations": locations, "today": timezone.localdate(), "rules": RULES})


@require_GET
@staff_view("ledger.view")
def container_list(request: AuthedRequest) -> HttpResponse:
    containers = queries.containers_visible_to(request.user)
    status = request.GET.get("status", "on_hand")
    if status == "on_hand":
        containers = containers.filter(status__in=forms.ON_HAND)
    elif status in Container.Status.values:
        containers = containers.filter(status=status)
    containers = queries.with_availability(containers.select_related("location__clinic"))
    page = Paginator(containers.order_by("location__name", "label"), 50).get_page(request.GET.get("page"))
    statuses = [("on_hand", "On hand"), ("all", "All"), *Container.Status.choices]
    rows = _marked(page.object_list, queries.expiry_window(request.user.clinic))
    return render(
        request, "ledger/containers.html", {"page": page, "rows": rows, "status": status, "statuses": statuses}
    )


def _audit_entries(request: AuthedRequest, action: str, entries: list[LedgerEntry], **detail: Any) -> None:
    patients = sorted({entry.patient_id for entry in entries if entry.patient_id})
    audit.record(
        actor=request.user,
        action=action,
        patient_id=patients[0] if len(patients) == 1 else None,
        detail={**detail, "patients": patients},
    )


@require_GET
@staff_view("ledger.view")
def container_detail(request: AuthedRequest, container_id: int) -> HttpResponse:
    container = queries.get_container_for_user(request.user, container_id)
    entries = list(container.entries.select_related("patient", "reverses").order_by("seq"))
    _audit_entries(request, "ledger.view_container", entries, container=container.pk)
    reversed_ids = {entry.reverses_id for entry in entries if entry.kind == Kind.REVERSAL}
    (container,) = _marked([container], queries.expiry_window(container.location.clinic))
    state = ledger.availability(container)
    tz = ZoneInfo(container.location.clinic.timezone)
    in_use = [holds_service.describe(hold, tz) for hold in state.holds]
    return render(
        request,
        "ledger/container.html",
        {
            "container": container,
            "entries": entries,
            "reversed_ids": reversed_ids,
            "rules": RULES,
            "available_ml": state.available_ml,
            "in_use": in_use,
        },
    )


@require_GET
@staff_view("ledger.view")
def entry_list(request: AuthedRequest) -> HttpResponse:
    entries = queries.entries_visible_to(request.user)
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        entries = entries.filter(kind=kind)
    page = Paginator(entries.order_by("-seq"), 50).get_page(request.GET.get("page"))
    _audit_entries(request, "ledger.view_entries", list(page.object_list), kind=kind, page=page.number)
    reversed_ids = set(
        LedgerEntry.objects.filter(reverses__in=[e.pk for e in page.object_list]).values_list("reverses_id", flat=True)
    )
    return render(
        request,
        "ledger/entries.html",
        {"page": page, "kind": kind, "kinds": Kind.choices, "reversed_ids": reversed_ids},
    )


@require_GET
@staff_view("ledger.view")
def entry_detail(request: AuthedRequest, entry_id: int) -> HttpResponse:
    entry = queries.get_entry_for_user(request.user, entry_id)
    audit.record(actor=request.user, action="ledger.view_entry", obj=entry, patient_id=entry.patient_id)
    reversal = LedgerEntry.objects.filter(reverses=entry).first()
    return render(
        request,
        "ledger/entry.html",
        {
            "entry": entry,
            "reversal": reversal,
            "linked": entry.linked_entries.order_by("seq"),
            "can_reverse": role_can(request.user.role, "ledger.record")
            and reversal is None
            and entry.kind not in (Kind.REVERSAL, Kind.INVENTORY_COUNT),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def receive(request: AuthedRequest) -> HttpResponse:
    form = forms.ReceiptForm(request.POST or None, user=request.user)

    def act(data: dict[str, Any]) -> Done:
        receipt = ledger.receive(
            by=request.user,
            location=data["location"],
            product=data["product"],
            supplier=data["supplier"],
            lot_number=data["lot_number"],
            expires_on=data["expires_on"],
            container_count=data["container_count"],
            invoice_ref=data["invoice_ref"],
            occurred_at=data["occurred_at"],
            labels=form.label_list() or None,
            backdate_reason=data["backdate_reason"],
            quarantine_reason=data["quarantine_reason"],
        )
        labels = ", ".join(c.label for c in receipt.containers)
        if receipt.containers[0].status == Container.Status.QUARANTINED:
            text = f"Received {len(receipt.entries)} container(s) into quarantine: {labels}. They are counted, never "
            return text + "given, and listed for destruction or return.", redirect("ledger:home")
        return f"Received {len(receipt.entries)} container(s): {labels}.", redirect("ledger:containers")

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Receive stock",
        intro="One line per delivery of one product and lot. Each container gets an id to write on it.",
        submit="Record receipt",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def administer(request: AuthedRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if request.method == "GET":
        if request.GET.get("container", "").isdigit():
            initial["container"] = request.GET["container"]
        if request.GET.get("patient", "").isdigit():
            initial["patient"] = get_patient_for_user(request.user, int(request.GET["patient"])).pk
    form = forms.AdministrationForm(request.POST or None, user=request.user, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        container, drawn = data["container"], data.get("drawn_ml")
        needs_witness = drawn is not None and drawn > data["quantity_ml"]
        signatures = sign_all(request, form, container.location) if needs_witness else {}
        result = ledger.administer(
            by=request.user,
            container=container,
            patient=data["patient"],
            quantity_ml=data["quantity_ml"],
            drawn_ml=drawn,
            occurred_at=data["occurred_at"],
            session_reference=data["session_reference"],
            waste_manner=data["waste_manner"],
            backdate_reason=data["backdate_reason"],
            witness=signatures.get("witness"),
        )
        entry = result.entry
        text = f"Administration #{entry.seq} recorded: {-entry.quantity_ml} mL ({-entry.quantity_mg} mg)"
        if result.waste is not None:
            text += f"; {-result.waste.quantity_ml} mL wasted, witnessed by {result.waste.witness_name}"
        return text + ".", redirect("ledger:container", container_id=container.pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Record an administration",
        intro="Quantities in mL; mg are computed from the product's concentration.",
        submit="Record administration",
        witness_optional=True,
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def waste(request: AuthedRequest) -> HttpResponse:
    initial = {"container": request.GET["container"]} if request.GET.get("container", "").isdigit() else {}
    form = forms.WasteForm(request.POST or None, user=request.user, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        container = data["container"]
        signatures = sign_all(request, form, container.location)
        entry = ledger.waste(
            by=request.user,
            container=container,
            quantity_ml=data["quantity_ml"] or Decimal("0"),
            close=data["close"],
            manner=data["manner"],
            reason=data["reason"],
            occurred_at=data["occurred_at"],
            backdate_reason=data["backdate_reason"],
            witness=signatures["witness"],
        )
        text = f"Waste #{entry.seq} recorded: {-entry.quantity_ml} mL, witnessed by {entry.witness_name}."
        return text, redirect("ledger:container", container_id=container.pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Record a witnessed waste",
        intro="The witness watches the waste and signs here with their own password and one-time code.",
        submit="Record waste",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def quarantine(request: AuthedRequest, container_id: int) -> HttpResponse:
    container = queries.get_container_for_user(request.user, container_id)
    today = queries.clinic_today(container.location.clinic)
    initial = {"reason": f"expired {container.lot.expires_on:%Y-%m-%d}"} if container.is_expired(today) else {}
    form = forms.QuarantineForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        ledger.quarantine(by=request.user, container=container, reason=data["reason"])
        text = f"{container.label} is set aside for destruction or return."
        return text, redirect("ledger:container", container_id=container.pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title=f"Set aside {container.label}",
        intro="A quarantined container can no longer be used; it leaves the books by destruction, transfer to a "
        "reverse distributor or a witnessed waste.",
        submit="Quarantine",
        container=container,
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def adjust(request: AuthedRequest) -> HttpResponse:
    initial = {"container": request.GET["container"]} if request.GET.get("container", "").isdigit() else {}
    form = forms.AdjustmentForm(request.POST or None, user=request.user, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        signatures = sign_all(request, form, data["container"].location)
        entry = ledger.adjust(
            by=request.user,
            container=data["container"],
            quantity_ml=data["quantity_ml"],
            reason=data["reason"],
            occurred_at=data["occurred_at"],
            backdate_reason=data["backdate_reason"],
            witness=signatures["witness"],
        )
        return f"Adjustment #{entry.seq} recorded.", redirect("ledger:container", container_id=data["container"].pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Adjust the books",
        intro="For a count that differs from the books. To undo a wrong entry, reverse it from its page instead.",
        submit="Record adjustment",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def reverse(request: AuthedRequest, entry_id: int) -> HttpResponse:
    entry = queries.get_entry_for_user(request.user, entry_id)
    form = forms.ReversalForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        signatures = sign_all(request, form, entry.location)
        reversal = ledger.reverse(by=request.user, entry=entry, reason=data["reason"], witness=signatures["witness"])
        return f"Entry #{entry.seq} is reversed by #{reversal.seq}.", redirect("ledger:entry", entry_id=reversal.pk)

    if done := submitted(request, form, act):
        return done
    audit.record(actor=request.user, action="ledger.view_entry", obj=entry, patient_id=entry.patient_id)
    return form_page(
        request,
        form,
        title=f"Reverse entry #{entry.seq}",
        intro="The entry stays in the ledger; an equal and opposite reversal points at it. A witness signs.",
        submit="Reverse entry",
        entry=entry,
    )
