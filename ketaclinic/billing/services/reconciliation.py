"""The Spravato reconciliation report: for each esketamine session at a location in a date range, the dose in the
session record, the REMS Patient Monitoring Form, the controlled-substance ledger's device entries and the claim's
lines must agree; every disagreement is listed in plain words (``domain.billing.reconciliation``).

Where each fact comes from:

* documented dose: the dose the session record holds (drawn from the devices at the start), else the order's dose;
* REMS form: the dose on the form as submitted (its snapshot) and the day it was submitted (clinic's calendar);
* ledger: the ADMINISTER entries posted for the session (``session_reference`` "treatment session N") that were not
  reversed, one per 28 mg device;
* claim: the lines of every claim for the session that is not void.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.domain.billing.reconciliation import Mismatch, SpravatoSessionFacts, reconcile_spravato
from ketaclinic.domain.controlled import books
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.ledger.models import LedgerEntry

MAX_DAYS = 366
"""The longest range one report covers."""


@dataclass(frozen=True)
class Row:
    session: TreatmentSession
    facts: SpravatoSessionFacts
    mismatches: tuple[Mismatch, ...]

    @property
    def claim_text(self) -> str:
        return ", ".join(f"{code} × {Decimal(units).normalize():f}" for code, units in self.facts.claim_lines)


def _reference(session_id: int) -> str:
    return f"treatment session {session_id}"


def ledger_devices(session_ids: Iterable[int]) -> dict[int, int]:
    """Devices the ledger shows given in each session: its ADMINISTER entries, less those reversed."""
    by_reference = {_reference(pk): pk for pk in session_ids}
    entries = LedgerEntry.objects.filter(
        kind=books.ADMINISTER, session_reference__in=list(by_reference), reversals__isnull=True
    ).values_list("session_reference", flat=True)
    found: dict[int, int] = {}
    for reference in entries:
        pk = by_reference[reference]
        found[pk] = found.get(pk, 0) + 1
    return found


def claim_lines(session_ids: Iterable[int]) -> dict[int, tuple[tuple[str, Decimal], ...]]:
    """(code, units) of every line of each session's claims that are not void. The claims app may not be installed
    in this build yet: then no session has a claim line."""
    try:
        claim_line = apps.get_model("billing", "ClaimLine")
    except LookupError:
        return {}
    found: dict[int, list[tuple[str, Decimal]]] = {}
    rows: Any = (
        claim_line.objects.filter(claim__sessions__in=list(session_ids))
        .exclude(claim__status="void")
        .order_by("claim_id", "position")
        .values_list("claim__sessions", "code", "units")
    )
    wanted = set(session_ids)
    for session_id, code, units in rows:
        if session_id in wanted:
            found.setdefault(session_id, []).append((code, units))
    return {pk: tuple(lines) for pk, lines in found.items()}


def _as_int(value: Any) -> int | None:
    try:
        return int(Decimal(str(value)))
    except (ArithmeticError, ValueError, TypeError):
        return None


def report(location: Location, first: dt.date, last: dt.date, *, today: dt.date | None = None) -> list[Row]:
    """Every esketamine session started at ``location`` from ``first`` to ``last`` (clinic's calendar), oldest first,
    with its mismatches."""
    zone = ZoneInfo(location.clinic.timezone)
    today = today or timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    sessions = list(
        TreatmentSession.objects.filter(
            location=location, route=ESKETAMINE_ROUTE, started_at__gte=start, started_at__lt=end
        )
        .exclude(status=TreatmentSession.Status.CANCELLED)
        .select_related("patient", "order")
        .order_by("started_at", "pk")
    )
    ids = [s.pk for s in sessions]
    devices, claims = ledger_devices(ids), claim_lines(ids)
    rows = []
    for session in sessions:
        assert session.started_at is not None  # filtered above
        dose = session.dose_delivered_mg if session.dose_delivered_mg is not None else session.order.dose_mg
        submitted = session.rems_submitted_at
        facts = SpravatoSessionFacts(
            session_id=session.pk,
            service_date=session.started_at.astimezone(zone).date(),
            documented_dose_mg=int(dose),
            rems_form_dose_mg=_as_int((session.rems_form or {}).get("dose_mg")) if submitted else None,
            rems_submitted_on=submitted.astimezone(zone).date() if submitted else None,
            ledger_devices=devices.get(session.pk, 0),
            claim_lines=claims.get(session.pk, ()),
            today=today,
        )
        rows.append(Row(session, facts, reconcile_spravato(facts)))
    return rows
