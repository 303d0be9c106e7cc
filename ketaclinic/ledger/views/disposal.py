"""Transfer to a reverse distributor, destruction (Form 41) and theft/loss reports with their deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import deadlines
from ketaclinic.ledger import forms, queries
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import TheftLossReport
from ketaclinic.ledger.views.common import form_page, sign_all, submitted


def _chosen(request: AuthedRequest) -> dict[str, Any]:
    """``?container=<id>`` (from the "due for destruction" list) ticks that container; the form's choices are
    already scoped to the user's locations, so another location's id simply ticks nothing."""
    container = request.GET.get("container", "")
    return {"containers": [int(container)]} if request.method == "GET" and container.isdigit() else {}


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def transfer(request: AuthedRequest) -> HttpResponse:
    form = forms.TransferForm(request.POST or None, user=request.user, initial=_chosen(request))

    def act(data: dict[str, Any]) -> Done:
        entries = ledger.transfer_out(
            by=request.user,
            containers=list(data["containers"]),
            reverse_distributor=data["reverse_distributor"],
            reference=data["reference"],
            occurred_at=data["occurred_at"],
            backdate_reason=data["backdate_reason"],
        )
        text = f"{len(entries)} container(s) transferred to {data['reverse_distributor'].name}."
        return text, redirect("ledger:containers")

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Transfer to a reverse distributor",
        intro="Whole containers handed to a DEA-registered reverse distributor; the record keeps its name, address "
        "and registration with the date and quantity.",
        submit="Record transfer",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def destroy(request: AuthedRequest) -> HttpResponse:
    form = forms.DestructionForm(request.POST or None, user=request.user, initial=_chosen(request))

    def act(data: dict[str, Any]) -> Done:
        containers = list(data["containers"])
        signatures = sign_all(request, form, containers[0].location)
        record = ledger.destroy(
            by=request.user,
            containers=containers,
            method=data["method"],
            place=data["place"],
            notes=data["notes"],
            occurred_at=data["occurred_at"],
            backdate_reason=data["backdate_reason"],
            witness=signatures["witness"],
            second_witness=signatures["second_witness"],
        )
        return f"Destruction recorded ({record.entries.count()} containers, Form 41 data).", redirect(
            "ledger:containers"
        )

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Destroy stock (DEA Form 41)",
        intro="Two employees witness the destruction and each signs with their own password and one-time code.",
        submit="Record destruction",
    )


@require_GET
@staff_view("ledger.view")
def theft_loss_list(request: AuthedRequest) -> HttpResponse:
    reports = queries.theft_loss_visible_to(request.user).order_by("-discovered_at")
    today = timezone.localdate()
    rows = [(report, _states(report, today)) for report in reports]
    return render(request, "ledger/theft_losses.html", {"rows": rows})


def _states(report: TheftLossReport, today: dt.date) -> dict[str, str]:
    notice_done = report.notice_sent_at is not None
    filed = report.form_106_filed_at is not None
    return {
        "notice": deadlines.deadline_state(report.notice_due_on, today, warn_days=1, done=notice_done),
        "form_106": deadlines.deadline_state(report.form_106_due_on, today, warn_days=7, done=filed),
    }


@require_http_methods(["GET", "POST"])
@staff_view("ledger.record")
def theft_loss_new(request: AuthedRequest) -> HttpResponse:
    form = forms.TheftLossForm(request.POST or None, user=request.user)

    def act(data: dict[str, Any]) -> Done:
        report = ledger.report_theft_loss(
            by=request.user,
            kind=data["kind"],
            discovered_at=data["discovered_at"],
            description=data["description"],
            items=[ledger.LostItem(container=data["container"], quantity_ml=data["quantity_ml"])],
            backdate_reason=data["backdate_reason"],
        )
        messages.warning(
            request,
            f"Report recorded. Written notice to the DEA is due by {report.notice_due_on:%a %d %b %Y}; "
            f"DEA Form 106 by {report.form_106_due_on:%a %d %b %Y}.",
        )
        return redirect("ledger:theft_loss", report_id=report.pk)

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Report a theft or significant loss",
        intro="Written notice to the DEA is due within 1 business day of discovery, and DEA Form 106 within 45 days. "
        "Minor count discrepancies are annotated from the inventory instead.",
        submit="Record report",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.view")
def theft_loss_detail(request: AuthedRequest, report_id: int) -> HttpResponse:
    report = queries.get_theft_loss_for_user(request.user, report_id)
    can_record = role_can(request.user.role, "ledger.record")
    action = request.POST.get("action") if request.method == "POST" else None
    notice_form = forms.NoticeForm(request.POST if action == "notice" else None, prefix="notice")
    form_106 = forms.Form106Form(request.POST if action == "form106" else None, prefix="f106")
    if action and not can_record:
        audit.record(actor=request.user, action="access.denied", outcome="denied", detail={"path": request.path})
        messages.error(request, "Your role may not record this.")
        return redirect("ledger:theft_loss", report_id=report.pk)

    def notice(data: dict[str, Any]) -> Done:
        ledger.record_notice_sent(by=request.user, report=report, sent_at=data["sent_at"])
        return "Written notice recorded.", redirect("ledger:theft_loss", report_id=report.pk)

    def filed(data: dict[str, Any]) -> Done:
        ledger.record_form_106(by=request.user, report=report, filed_at=data["filed_at"], reference=data["reference"])
        return "DEA Form 106 filing recorded.", redirect("ledger:theft_loss", report_id=report.pk)

    if done := submitted(request, notice_form, notice) or submitted(request, form_106, filed):
        return done
    audit.record(actor=request.user, action="ledger.view_theft_loss", obj=report)
    entries = report.entries.select_related("container", "product").order_by("seq")
    return render(
        request,
        "ledger/theft_loss.html",
        {
            "report": report,
            "entries": entries,
            "states": _states(report, timezone.localdate()),
            "notice_form": notice_form,
            "form_106": form_106,
            "can_record": can_record,
            "can_report": role_can(request.user.role, "ledger.report"),
        },
    )
