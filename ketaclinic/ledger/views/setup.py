"""Clinic admins set up the ledger: each location's DEA registration, products, suppliers and the policy."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.domain.controlled import deadlines, draws, expiry
from ketaclinic.ledger import forms, queries
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import LedgerPolicy, Registrant
from ketaclinic.ledger.models import setup as defaults
from ketaclinic.ledger.services.common import policy_for
from ketaclinic.ledger.views.common import form_page, submitted

# Where each policy default comes from: a rule (cited) or ketaclinic's clinic policy default (no rule gives one).
POLICY_SOURCES = {
    "backdate_limit_hours": f"Clinic policy default {deadlines.BACKDATE_LIMIT_HOURS} h — records are kept current "
    "(21 CFR 1304.21(a)); no rule gives a number of hours",
    "inventory_interval_months": f"Federal maximum {deadlines.BIENNIAL_INTERVAL_MONTHS} months (biennial)",
    "retention_years": f"Federal minimum {deadlines.RETENTION_YEARS} years (21 CFR 1304.04)",
    "inventory_alert_days": f"Clinic policy default {defaults.POLICY_ALERT_DAYS} days",
    "expiry_warning_days": f"Clinic policy default {expiry.SOON_DAYS_DEFAULT} days — no rule gives a number; expired "
    f"stock is never offered ({expiry.NOT_FOR_USE_SOURCE})",
    "significant_discrepancy_mg": f"Clinic policy default {defaults.POLICY_SIGNIFICANT_MG} mg — not a legal threshold",
    "significant_discrepancy_percent": f"Clinic policy default {defaults.POLICY_SIGNIFICANT_PERCENT} % — not a legal "
    "threshold",
    "discrepancy_pattern_count": f"Clinic policy default {defaults.POLICY_PATTERN_COUNT} — not a legal threshold",
    "discrepancy_pattern_days": f"Clinic policy default {defaults.POLICY_PATTERN_DAYS} days — not a legal threshold",
    "draw_tolerance_percent": f"Clinic policy default {draws.TOLERANCE_PERCENT_DEFAULT} % — no regulation or label "
    "gives a number",
    "extra_holidays": "Weekends and US federal holidays (5 U.S.C. 6103) are always excluded",
}


@require_GET
@staff_view("ledger.manage")
def setup(request: AuthedRequest) -> HttpResponse:
    user = request.user
    locations = [(location, getattr(location, "dea_registrant", None)) for location in queries.ledger_locations(user)]
    policy = policy_for(user.clinic_id)
    settings_rows = [
        (str(getattr(LedgerPolicy._meta.get_field(name), "verbose_name", name)), getattr(policy, name), source)
        for name, source in POLICY_SOURCES.items()
    ]
    return render(
        request,
        "ledger/setup.html",
        {
            "locations": locations,
            "products": queries.products_for(user).order_by("name"),
            "suppliers": queries.suppliers_for(user).order_by("name"),
            "settings_rows": settings_rows,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def registrant_edit(request: AuthedRequest, location_id: int) -> HttpResponse:
    location = queries.get_location_for_user(request.user, location_id)
    instance = Registrant.objects.filter(location=location).first()
    form = forms.RegistrantForm(request.POST or None, instance=instance)

    def act(data: dict[str, Any]) -> Done:
        ledger.save_registrant(by=request.user, location=location, values={n: data[n] for n in form.Meta.fields})
        return f"DEA registration of {location.name} saved.", redirect("ledger:setup")

    title = f"DEA registration — {location.name}"
    return submitted(request, form, act) or form_page(request, form, title=title, submit="Save registration")


def _model_form(
    request: AuthedRequest, *, form_class: Any, service: Any, instance: Any, title: str, key: str
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)

    def act(data: dict[str, Any]) -> Done:
        values = {name: data[name] for name in form.Meta.fields}
        service(by=request.user, clinic=request.user.clinic, values=values, **{key: instance})
        return f"{title}: saved.", redirect("ledger:setup")

    return submitted(request, form, act) or form_page(request, form, title=title)


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def product_new(request: AuthedRequest) -> HttpResponse:
    return _model_form(
        request,
        form_class=forms.ProductForm,
        service=ledger.save_product,
        instance=None,
        title="Add a product",
        key="product",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def product_edit(request: AuthedRequest, product_id: int) -> HttpResponse:
    product = queries.products_for(request.user).filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return _model_form(
        request,
        form_class=forms.ProductForm,
        service=ledger.save_product,
        instance=product,
        title=f"Edit {product.name}",
        key="product",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def supplier_new(request: AuthedRequest) -> HttpResponse:
    return _model_form(
        request,
        form_class=forms.SupplierForm,
        service=ledger.save_supplier,
        instance=None,
        title="Add a supplier",
        key="supplier",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def supplier_edit(request: AuthedRequest, supplier_id: int) -> HttpResponse:
    supplier = queries.suppliers_for(request.user).filter(pk=supplier_id).first()
    if supplier is None:
        raise Http404("No such supplier.")
    return _model_form(
        request,
        form_class=forms.SupplierForm,
        service=ledger.save_supplier,
        instance=supplier,
        title=f"Edit {supplier.name}",
        key="supplier",
    )


@require_http_methods(["GET", "POST"])
@staff_view("ledger.manage")
def policy_edit(request: AuthedRequest) -> HttpResponse:
    policy = policy_for(request.user.clinic_id)
    form = forms.PolicyForm(request.POST or None, instance=policy)

    def act(data: dict[str, Any]) -> Done:
        values = {name: data[name] for name in form.Meta.fields}
        ledger.save_policy(by=request.user, clinic=request.user.clinic, values=values)  # type: ignore[arg-type]
        return "Ledger settings saved.", redirect("ledger:setup")

    return submitted(request, form, act) or form_page(
        request,
        form,
        title="Ledger settings",
        intro="Regulatory defaults cite their source. Values marked \u201cclinic policy default\u201d are ketaclinic's "
        "starting point where no rule gives a number: they are not legal thresholds, and your clinic decides them.",
        submit="Save settings",
    )
