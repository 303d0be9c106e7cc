"""The only ways views and the API load ledger rows: scoped to the caller's locations inside the query.

A row of another location is 404, never 403 (knowledge/security.md "Object-level checks inside the query").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.ledger.models import (
    Container,
    Discrepancy,
    Hold,
    Inventory,
    LedgerEntry,
    Product,
    Supplier,
    TheftLossReport,
)
from ketaclinic.ledger.services.common import policy_for

USABLE = (Container.Status.SEALED, Container.Status.OPEN)
ON_HAND = (Container.Status.SEALED, Container.Status.OPEN, Container.Status.QUARANTINED)


def ledger_locations(user: User) -> QuerySet[Location]:
    if not user.is_authenticated or not user.is_active or not role_can(user.role, "ledger.view"):
        return Location.objects.none()
    return user.locations.filter(is_active=True).select_related("clinic").order_by("name")


def home_location(user: User) -> Location | None:
    """The ledger location a report opens on for ``user``: where they last recorded or witnessed an entry, else the
    first location they were assigned to (not the first alphabetically: a prescriber who covers Lakeside now and then
    but works at Main Street should not land on Lakeside's books). None when they have no ledger location."""
    locations = ledger_locations(user)
    recent = (
        LedgerEntry.objects.filter(Q(actor=user) | Q(witness=user), location__in=locations)
        .order_by("-recorded_at", "-pk")
        .values_list("location_id", flat=True)
        .first()
    )
    if recent is not None:
        return locations.get(pk=recent)
    assigned = (
        User.locations.through.objects.filter(user_id=user.pk, location__in=locations)
        .order_by("pk")
        .values_list("location_id", flat=True)
        .first()
    )
    return locations.get(pk=assigned) if assigned is not None else None


def containers_visible_to(user: User) -> QuerySet[Container]:
    return Container.objects.filter(location__in=ledger_locations(user)).select_related("lot__product", "location")


def get_container_for_user(user: User, container_id: int) -> Container:
    container = containers_visible_to(user).filter(pk=container_id).first()
    if container is None:
        raise Http404("No such container.")
    return container


def entries_visible_to(user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(location__in=ledger_locations(user)).select_related(
        "container", "product", "patient", "counterparty", "location"
    )


def get_entry_for_user(user: User, entry_id: int) -> LedgerEntry:
    entry = entries_visible_to(user).filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such entry.")
    return entry


def inventories_visible_to(user: User) -> QuerySet[Inventory]:
    return Inventory.objects.filter(location__in=ledger_locations(user)).select_related("location", "counted_by")


def get_inventory_for_user(user: User, inventory_id: int) -> Inventory:
    inventory = inventories_visible_to(user).filter(pk=inventory_id).first()
    if inventory is None:
        raise Http404("No such inventory.")
    return inventory


def get_discrepancy_for_user(user: User, discrepancy_id: int) -> Discrepancy:
    discrepancy = (
        Discrepancy.objects.filter(location__in=ledger_locations(user), pk=discrepancy_id)
        .select_related("container__lot__product", "location", "line__inventory")
        .first()
    )
    if discrepancy is None:
        raise Http404("No such discrepancy.")
    return discrepancy


def theft_loss_visible_to(user: User) -> QuerySet[TheftLossReport]:
    return TheftLossReport.objects.filter(location__in=ledger_locations(user)).select_related("location", "created_by")


def get_theft_loss_for_user(user: User, report_id: int) -> TheftLossReport:
    report = theft_loss_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report


def products_for(user: User) -> QuerySet[Product]:
    return Product.objects.filter(clinic=user.clinic)


def suppliers_for(user: User) -> QuerySet[Supplier]:
    return Supplier.objects.filter(clinic=user.clinic)


def get_location_for_user(user: User, location_id: int) -> Location:
    location = ledger_locations(user).filter(pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


@dataclass(frozen=True)
class ExpiryWindow:
    """The clinic's calendar day and its "expires soon" setting: what every list marks containers against."""

    today: dt.date
    soon_days: int


def clinic_today(clinic: Clinic | None) -> dt.date:
    """Today in the clinic's time zone: expiry is judged on the clinic's calendar, never the server's (UTC). A user
    without a clinic has no ledger locations; the server's day is as good as any for their empty lists."""
    if clinic is None:
        return timezone.localdate()
    return timezone.now().astimezone(ZoneInfo(clinic.timezone)).date()


def expiry_window(clinic: Clinic | None) -> ExpiryWindow:
    policy = policy_for(clinic.pk if clinic is not None else None)
    return ExpiryWindow(today=clinic_today(clinic), soon_days=policy.expiry_warning_days)


def with_availability(containers: QuerySet[Container]) -> QuerySet[Container]:
    """Each container with ``held_ml`` (drawn at a chair and not yet posted), ``available_ml`` (the book balance less
    that) and ``open_holds`` (who holds it, since when): what every list and form offers (issue 15, item 3)."""
    volume: DecimalField[Decimal, Decimal] = DecimalField(max_digits=9, decimal_places=2)
    held = (
        Hold.objects.filter(container=OuterRef("pk"), released_at__isnull=True)
        .order_by()
        .values("container")
        .annotate(total=Sum("quantity_ml"))
        .values("total")
    )
    return containers.annotate(
        held_ml=Coalesce(Subquery(held, output_field=volume), Value(Decimal("0.00")), output_field=volume),
        available_ml=ExpressionWrapper(F("balance_ml") - F("held_ml"), output_field=volume),
    ).prefetch_related(
        Prefetch(
            "holds", queryset=Hold.objects.filter(released_at__isnull=True).order_by("held_at"), to_attr="open_holds"
        )
    )


def usable(containers: QuerySet[Container], today: dt.date) -> QuerySet[Container]:
    """What may be given: sealed or open, something left to draw (not all held at a chair), not expired on the
    clinic's ``today``."""
    containers = containers.filter(status__in=USABLE, balance_ml__gt=0, lot__expires_on__gte=today)
    if "available_ml" not in containers.query.annotations:
        containers = with_availability(containers)
    return containers.filter(available_ml__gt=0)  # type: ignore[misc]  # the annotation above


def due_for_destruction(containers: QuerySet[Container], today: dt.date) -> QuerySet[Container]:
    """Stock that must leave the books by destruction (DEA Form 41) or transfer to a reverse distributor: on hand,
    not empty, and quarantined or expired."""
    return containers.filter(status__in=ON_HAND, balance_ml__gt=0).filter(
        Q(status=Container.Status.QUARANTINED) | Q(lot__expires_on__lt=today)
    )
