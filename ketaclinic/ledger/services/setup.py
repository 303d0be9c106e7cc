"""Setting up the ledger (clinic admins): each location's DEA registration, products, suppliers, the policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.audit import services as audit
from ketaclinic.ledger.models import LedgerEntry, LedgerPolicy, Product, Registrant, Supplier
from ketaclinic.ledger.models.setup import parse_holidays
from ketaclinic.ledger.services.common import require
from ketaclinic.locking import lock

REGISTRANT_FIELDS = ("registrant_name", "dea_number", "schedules", "address", "expires_on")
PRODUCT_FIELDS = (
    "name",
    "substance",
    "ndc",
    "rxnorm_code",
    "form",
    "concentration_mg_per_ml",
    "container_volume_ml",
    "container_kind",
    "containers_per_package",
    "is_active",
)
# Once a product has entries, what its entries were computed from is fixed: a new product is added instead.
PRODUCT_FIXED_WHEN_USED = ("substance", "ndc", "concentration_mg_per_ml", "container_volume_ml")
SUPPLIER_FIELDS = ("name", "address", "dea_number", "is_reverse_distributor", "is_active")
POLICY_FIELDS = (
    "backdate_limit_hours",
    "inventory_interval_months",
    "retention_years",
    "inventory_alert_days",
    "expiry_warning_days",
    "draw_tolerance_percent",
    "significant_discrepancy_mg",
    "significant_discrepancy_percent",
    "discrepancy_pattern_count",
    "discrepancy_pattern_days",
    "extra_holidays",
)


def _manage(by: User | None, clinic_id: int | None) -> None:
    if by is None:
        return  # the demo loader and bootstrap, audited as the system
    require(by, "ledger.manage")
    if by.clinic_id != clinic_id:
        raise ValidationError({"__all__": "That belongs to another clinic."})


def _clean(obj: models.Model, values: Mapping[str, Any], allowed: tuple[str, ...]) -> list[str]:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    changed = []
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    obj.full_clean()
    return changed


@transaction.atomic
def save_registrant(*, by: User | None, location: Location, values: Mapping[str, Any]) -> Registrant:
    _manage(by, location.clinic_id)
    registrant = lock(Registrant).filter(location=location).first() or Registrant(location=location)
    values = dict(values)
    if "dea_number" in values:
        values["dea_number"] = str(values["dea_number"]).strip().upper()
    changed = _clean(registrant, values, REGISTRANT_FIELDS)
    registrant.updated_at = timezone.now()
    registrant.save()
    audit.record(actor=by, action="ledger.registrant.save", obj=registrant, detail={"fields": sorted(changed)})
    return registrant


@transaction.atomic
def save_product(
    *, by: User | None, clinic: Clinic, values: Mapping[str, Any], product: Product | None = None
) -> Product:
    _manage(by, clinic.pk)
    product = lock(Product).get(pk=product.pk, clinic=clinic) if product is not None else Product(clinic=clinic)
    before = {name: getattr(product, name) for name in PRODUCT_FIXED_WHEN_USED}
    changed = _clean(product, values, PRODUCT_FIELDS)
    if product.pk and LedgerEntry.objects.filter(product=product).exists():
        fixed = [name for name in PRODUCT_FIXED_WHEN_USED if before[name] != getattr(product, name)]
        if fixed:
            raise ValidationError(
                dict.fromkeys(fixed, "This product has ledger entries: add a new product instead of changing this.")
            )
    if Product.objects.filter(clinic=clinic, ndc=product.ndc).exclude(pk=product.pk).exists():
        raise ValidationError({"ndc": "Another product of this clinic has this NDC."})
    product.save()
    audit.record(actor=by, action="ledger.product.save", obj=product, detail={"fields": sorted(changed)})
    return product


@transaction.atomic
def save_supplier(
    *, by: User | None, clinic: Clinic, values: Mapping[str, Any], supplier: Supplier | None = None
) -> Supplier:
    _manage(by, clinic.pk)
    supplier = lock(Supplier).get(pk=supplier.pk, clinic=clinic) if supplier is not None else Supplier(clinic=clinic)
    values = dict(values)
    if "dea_number" in values:
        values["dea_number"] = str(values["dea_number"]).strip().upper()
    changed = _clean(supplier, values, SUPPLIER_FIELDS)
    if Supplier.objects.filter(clinic=clinic, dea_number=supplier.dea_number).exclude(pk=supplier.pk).exists():
        raise ValidationError({"dea_number": "Another supplier of this clinic has this DEA number."})
    supplier.save()
    audit.record(actor=by, action="ledger.supplier.save", obj=supplier, detail={"fields": sorted(changed)})
    return supplier


@transaction.atomic
def save_policy(*, by: User | None, clinic: Clinic, values: Mapping[str, Any]) -> LedgerPolicy:
    """A settings change, audited with what changed (security.md H4)."""
    _manage(by, clinic.pk)
    policy = lock(LedgerPolicy).filter(clinic=clinic).first() or LedgerPolicy(clinic=clinic)
    before = {name: str(getattr(policy, name)) for name in POLICY_FIELDS}
    changed = _clean(policy, values, POLICY_FIELDS)
    parse_holidays(policy.extra_holidays)
    policy.updated_at = timezone.now()
    policy.updated_by = by
    policy.save()
    audit.record(
        actor=by,
        action="ledger.policy.change",
        obj=policy,
        detail={name: {"before": before[name], "after": str(getattr(policy, name))} for name in changed},
    )
    return policy
