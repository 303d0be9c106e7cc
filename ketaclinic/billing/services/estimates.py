"""Good-faith estimates for uninsured and self-pay patients (No Surprises Act: PHS Act section 2799B-6; 45 CFR
149.610, content at 149.610(c); CMS-10791 "Good Faith Estimate Data Elements").

Built from the patient's signed treatment plan (the open session orders of each active plan's signed version) and the
location's fee schedule in effect on the day the estimate is given: an itemised list with the expected codes and
charges (a package where the clinic sells one and the series is long enough), the diagnosis codes (the patient's coded
conditions, else entered by the clinician), and the provider's name, NPI and TIN from the location's billing profile.
The estimate is stored as given and is never edited; a changed scope is a new estimate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import BillingProfile, Fee, GoodFaithEstimate
from ketaclinic.billing.services import fees as fee_services
from ketaclinic.billing.services.invoices import require_manager
from ketaclinic.domain.billing import invoicing
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan

# The three disclaimers of 45 CFR 149.610(c) as summarised by the APA, and the dispute threshold of the CMS model
# notice ("at least $400 more"). Shown on the page and printed on the estimate.
DISCLAIMERS = (
    "This Good Faith Estimate shows the costs of items and services that are reasonably expected for your health care "
    "needs for an item or service. Additional items or services may be recommended as part of your care that are not "
    "included here.",
    "This is only an estimate: the actual items, services or charges may differ from the Good Faith Estimate.",
    "You have the right to initiate a patient-provider dispute resolution process if the actual billed charges are "
    "substantially in excess of the expected charges included in this Good Faith Estimate.",
)
DISPUTE_SENTENCE = (
    "If you are billed for more than this Good Faith Estimate, you have the right to dispute the bill: you may start "
    "a dispute resolution process if the billed charges are at least $400 more than this estimate for any provider "
    "or facility. Keep a copy of this Good Faith Estimate."
)
SOURCES = (
    "No Surprises Act: PHS Act section 2799B-6 and 45 CFR 149.610 (content at 149.610(c)); CMS-10791 Good Faith "
    "Estimate data elements; the $400 threshold from the CMS model notice \u201cRight to a Good Faith Estimate\u201d."
)
TIMING = (
    "Give the estimate not later than 1 business day after scheduling when the first service is scheduled at least "
    "3 business days ahead; not later than 3 business days after scheduling when it is at least 10 business days "
    "ahead; and not later than 3 business days after a patient asks for one (Federal Register, 86 FR 56136, "
    "7 October 2021)."
)

_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@dataclass
class Draft:
    """What an estimate given today would say, and what is missing before it can be given."""

    items: list[dict[str, Any]] = field(default_factory=list)
    diagnosis_codes: list[str] = field(default_factory=list)
    plan_version: PlanVersion | None = None
    first_session_on: dt.date | None = None
    profile: BillingProfile | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((Decimal(item["amount"]) for item in self.items), invoicing.ZERO)


def _open_orders(patient: Patient) -> tuple[PlanVersion | None, list[SessionOrder]]:
    plans = TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ACTIVE)
    orders: list[SessionOrder] = []
    first: PlanVersion | None = None
    for plan in plans:
        version = plan.signed_version
        if version is None:
            continue
        first = first or version
        orders += list(version.orders.filter(status=SessionOrder.Status.OPEN).order_by("target_date"))
    return first, orders


def _item(description: str, code: str, quantity: int, unit_price: Decimal) -> dict[str, Any]:
    return {
        "description": description,
        "code": code,
        "quantity": quantity,
        "unit_price": str(unit_price),
        "amount": str(invoicing.line_amount(quantity, unit_price)),
    }


def coded_diagnoses(patient: Patient) -> list[str]:
    conditions = patient.conditions.filter(entered_in_error=False, status="active").exclude(icd10_code="")
    return list(dict.fromkeys(conditions.values_list("icd10_code", flat=True)))[:12]


def draft(patient: Patient, on: dt.date) -> Draft:
    """The estimate as it would be given on ``on``, with every problem that keeps it from being given."""
    result = Draft(diagnosis_codes=coded_diagnoses(patient))
    result.plan_version, orders = _open_orders(patient)
    location = patient.location
    result.profile = BillingProfile.objects.filter(location=location).first()
    if result.profile is None:
        result.problems.append(
            f"{location.name} has no billing profile: fill in the provider's legal name, NPI and tax id (TIN) first."
        )
    if not orders:
        result.problems.append("The patient has no signed treatment plan with sessions still to give.")
    result.first_session_on = orders[0].target_date if orders else None
    counts = Counter(fee_services.protocol_key(order.plan_version.protocol_id) for order in orders)
    for service, count in counts.items():
        package = fee_services.fee_in_effect(location, fee_services.package_key(service), on)
        single = fee_services.fee_in_effect(location, service, on)
        left = count
        if package is not None and count >= package.sessions:
            packages = count // package.sessions
            # A package is one price for N sessions, each billed under the service's code: the estimate says so
            # ("96365 × 6"), or a patient would read one infusion for the package's price.
            code = f"{package.code} × {package.sessions}" if package.code else ""
            result.items.append(_item(f"{package.label} ({package.sessions} sessions)", code, packages, package.amount))
            left = count - packages * package.sessions
        if left:
            if single is None:
                result.problems.append(f"The fee schedule has no fee for {fee_services.service_label(service)}.")
            else:
                result.items.append(_item(single.label, single.code, left, single.amount))
    return result


def _clean_codes(codes: list[str]) -> list[str]:
    cleaned = [code.strip().upper() for code in codes if code.strip()]
    bad = [code for code in cleaned if not _ICD10.match(code)]
    if bad:
        raise ServiceError(
            f"Not ICD-10-CM codes: {', '.join(bad)} (e.g. F33.2). Nothing was saved.", field="diagnosis_codes"
        )
    if len(cleaned) > 12:
        raise ServiceError("At most 12 diagnosis codes. Nothing was saved.", field="diagnosis_codes")
    return list(dict.fromkeys(cleaned))


@transaction.atomic
def give_estimate(
    *, by: User, patient: Patient, on: dt.date, diagnosis_codes: list[str] | None = None
) -> GoodFaithEstimate:
    """Store the estimate as given on ``on``. ``diagnosis_codes``: entered by the clinician when the chart has none
    coded (these replace the chart's). Refuses, writing nothing, while anything is missing."""
    require_manager(by, patient.location)
    result = draft(patient, on)
    codes = _clean_codes(diagnosis_codes or []) or result.diagnosis_codes
    problems = list(result.problems)
    if not codes:
        problems.append("Enter the diagnosis codes (ICD-10-CM): the chart has no coded condition.")
    if problems:
        raise ServiceError(" ".join(problems) + " Nothing was saved.")
    profile = result.profile
    assert profile is not None  # a missing profile is a problem above
    primary = result.items[0]["description"] if result.items else ""
    estimate = GoodFaithEstimate.objects.create(
        patient=patient,
        location=patient.location,
        plan_version=result.plan_version,
        given_on=on,
        patient_name=patient.full_name,
        patient_date_of_birth=patient.date_of_birth,
        primary_service=primary[:200],
        first_session_on=result.first_session_on,
        diagnosis_codes=codes,
        items=result.items,
        total=result.total,
        provider_name=profile.legal_name,
        provider_npi=profile.npi,
        provider_tin=profile.tax_id,
        provider_address=f"{profile.street}, {profile.city}, {profile.state} {profile.postal_code}"[:200],
        created_by=by,
    )
    audit.record(
        actor=by,
        action="billing.good_faith_estimate",
        obj=estimate,
        patient_id=patient.pk,
        detail={"total": str(estimate.total), "items": len(result.items)},
    )
    return estimate


def package_fees_in_effect(patient: Patient, on: dt.date) -> list[Fee]:
    schedule = fee_services.schedule_in_effect(patient.location, on)
    if schedule is None:
        return []
    return [fee for fee in schedule.fees.all() if fee.is_package]
