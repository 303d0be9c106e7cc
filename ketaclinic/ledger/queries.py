"""The only ways views and the API load ledger rows: scoped to the caller's locations inside the query.

A row of another location is 404, never 403 (knowledge/security.md "Object-level checks inside the query").
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.ledger.models import (
    Container,
    Discrepancy,
    Inventory,
    LedgerEntry,
    Product,
    Supplier,
    TheftLossReport,
)


def ledger_locations(user: User) -> QuerySet[Location]:
    if not user.is_authenticated or not user.is_active or not role_can(user.role, "ledger.view"):
        return Location.objects.none()
    return user.locations.filter(is_active=True).select_related("clinic").order_by("name")


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
