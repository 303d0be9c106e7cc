"""Fee schedules: the services a clinic can price, a new version of a location's schedule, and the fee in effect on a
day. A version is never edited: a price change is a new version with a later effective date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Fee, FeeSchedule
from ketaclinic.domain import protocols
from ketaclinic.domain.billing.invoicing import MoneyError, money

CONSULTATION = "consultation"
FOLLOW_UP = "follow_up"
PACKAGE_PREFIX = "package:"
PROTOCOL_PREFIX = "protocol:"

_ROUTE_WORDS = {
    "iv": "IV infusion",
    "im": "IM injection",
    "intranasal_esketamine": "esketamine session",
}


@dataclass(frozen=True)
class Service:
    """A priceable service: its key, our own short label and the code a clinic usually bills it with (editable)."""

    key: str
    label: str
    code: str = ""


def protocol_key(protocol_id: str) -> str:
    return PROTOCOL_PREFIX + protocol_id


def package_key(covers: str) -> str:
    return PACKAGE_PREFIX + covers


def catalogue() -> tuple[Service, ...]:
    """Every session by protocol (IV infusions, IM, esketamine and the others in the protocol library), a
    consultation and a follow-up visit. Suggested codes are the usual self-pay ones (billing knowledge base §1-§3:
    96365 IV infusion first hour, 96372 IM injection); the clinic may change or clear them. Labels are our own."""
    sessions = []
    for protocol in protocols.all():
        code = {"iv": "96365", "im": "96372"}.get(protocol.route, "")
        sessions.append(Service(protocol_key(protocol.id), f"{protocol.name}: session", code))
    return (
        *sessions,
        Service(CONSULTATION, "Consultation (new patient evaluation)"),
        Service(FOLLOW_UP, "Follow-up visit"),
    )


def service_label(key: str) -> str:
    for service in catalogue():
        if service.key == key:
            return service.label
    if key.startswith(PACKAGE_PREFIX):
        return f"Package: {service_label(key.removeprefix(PACKAGE_PREFIX))}"
    return key


def _session_keys() -> set[str]:
    return {s.key for s in catalogue() if s.key.startswith(PROTOCOL_PREFIX)}


def latest_schedule(location: Location) -> FeeSchedule | None:
    return FeeSchedule.objects.filter(location=location).order_by("-effective_from").first()


def schedule_in_effect(location: Location, on_date: dt.date) -> FeeSchedule | None:
    return (
        FeeSchedule.objects.filter(location=location, effective_from__lte=on_date).order_by("-effective_from").first()
    )


def fee_in_effect(location: Location, service: str, on_date: dt.date) -> Fee | None:
    """The fee for ``service`` in the location's schedule in effect on ``on_date`` (the latest version whose effective
    date is on or before it), or None when no schedule was in effect or it does not price the service."""
    schedule = schedule_in_effect(location, on_date)
    if schedule is None:
        return None
    return schedule.fees.filter(service=service).first()


def _clean_fee(row: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    service = str(row.get("service", "")).strip()
    sessions = int(row.get("sessions") or 1)
    covers = str(row.get("covers", "")).strip()
    label = str(row.get("label", "")).strip()[:120]
    code = str(row.get("code", "")).strip().upper()
    try:
        amount = money(row.get("amount", ""), what=f"fee for {label or service}")
    except MoneyError as error:
        raise ServiceError(f"{error} Nothing was saved.", field="fees") from None
    if code and (len(code) != 5 or not code.isalnum()):
        raise ServiceError(f"The code {code!r} is not a CPT/HCPCS code (five characters). Nothing was saved.")
    if service.startswith(PACKAGE_PREFIX):
        if covers not in _session_keys() or service != package_key(covers):
            raise ServiceError(f"The package {label or service!r} must cover one kind of session. Nothing was saved.")
        if sessions < 2:
            raise ServiceError(f"The package {label!r} must cover at least 2 sessions. Nothing was saved.")
    elif service not in known:
        raise ServiceError(f"Unknown service {service!r}. Nothing was saved.")
    else:
        sessions, covers = 1, ""
    if not label:
        label = service_label(service)
    return {"service": service, "label": label, "code": code, "amount": amount, "sessions": sessions, "covers": covers}


@transaction.atomic
def create_schedule(
    *, by: User, location: Location, effective_from: dt.date, note: str = "", fees: Iterable[Mapping[str, Any]]
) -> FeeSchedule:
    """A new version of the location's fee schedule from ``effective_from`` (later than the latest version's date:
    history is never rewritten). Every fee is checked before anything is written: a negative or fractional-cent fee,
    an unknown service or a package of fewer than 2 sessions refuses the whole version."""
    if not role_can(by.role, "billing.manage") or not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("Only clinic admins and front desk at this location set its fees.")
    known = {s.key for s in catalogue()}
    rows = [_clean_fee(row, known) for row in fees]
    seen = [row["service"] for row in rows]
    if len(set(seen)) != len(seen):
        raise ServiceError("A service is priced twice in this version. Nothing was saved.")
    if not rows:
        raise ServiceError("A fee schedule needs at least one fee. Nothing was saved.")
    Location.objects.select_for_update().filter(pk=location.pk).first()  # one new version at a time
    latest = latest_schedule(location)
    if latest is not None and effective_from <= latest.effective_from:
        raise ServiceError(
            f"The new version must take effect after the current one ({latest.effective_from:%Y-%m-%d}); "
            "an old version is never changed. Nothing was saved.",
            field="effective_from",
        )
    version = (FeeSchedule.objects.filter(location=location).aggregate(v=Max("version"))["v"] or 0) + 1
    schedule = FeeSchedule.objects.create(
        location=location, version=version, effective_from=effective_from, note=note.strip()[:200], created_by=by
    )
    Fee.objects.bulk_create([Fee(schedule=schedule, **row) for row in rows])
    audit.record(
        actor=by,
        action="billing.fee_schedule.create",
        obj=schedule,
        detail={"location": location.pk, "version": version, "effective_from": str(effective_from), "fees": len(rows)},
    )
    return schedule


def fee_rows(schedule: FeeSchedule | None) -> list[dict[str, Any]]:
    """A schedule's fees as the rows ``create_schedule`` takes: what the "new version" form starts from."""
    if schedule is None:
        return [{"service": s.key, "label": s.label, "code": s.code, "amount": "", "sessions": 1} for s in catalogue()]
    return [
        {
            "service": f.service,
            "label": f.label,
            "code": f.code,
            "amount": f.amount,
            "sessions": f.sessions,
            "covers": f.covers,
        }
        for f in schedule.fees.all()
    ]


def package_amount_per_session(fee: Fee) -> Decimal:
    """What one session of a package comes to (shown next to the single-session price)."""
    return (fee.amount / fee.sessions).quantize(Decimal("0.01"))
