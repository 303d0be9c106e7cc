"""Fee schedules: versions with effective dates, the fee in effect on a day, bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Fee, FeeSchedule
from ketaclinic.billing.services import fees
from tests.billing.selfpay_scene import FEES

IV = "protocol:depression_iv"


def test_fee_in_effect_follows_the_versions(schedule: Any, dave: Any, main_st: Any) -> None:
    rows = [dict(r, amount="500.00") if r["service"] == IV else r for r in fees.fee_rows(schedule)]
    v2 = fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 7, 1), fees=rows)
    assert v2.version == 2
    assert fees.fee_in_effect(main_st, IV, dt.date(2025, 12, 31)) is None
    assert fees.fee_in_effect(main_st, IV, dt.date(2026, 6, 30)).amount == Decimal("450.00")
    assert fees.fee_in_effect(main_st, IV, dt.date(2026, 7, 1)).amount == Decimal("500.00")
    assert fees.fee_in_effect(main_st, "follow_up", dt.date(2026, 7, 1)) is None
    # the old version is untouched
    assert Fee.objects.get(schedule=schedule, service=IV).amount == Decimal("450.00")
    assert AuditEvent.objects.filter(action="billing.fee_schedule.create").count() == 2


def test_package_per_session(schedule: Any) -> None:
    package = schedule.fees.get(service="package:" + IV)
    assert package.is_package and package.sessions == 6
    assert fees.package_amount_per_session(package) == Decimal("400.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-1.00"}, "cannot be negative"),
        ({"amount": "10.005"}, "two decimal places"),
        ({"amount": "ten"}, "a number"),
        ({"service": "massage"}, "Unknown service"),
        ({"code": "ABC"}, "not a CPT/HCPCS code"),
    ],
)
def test_bad_fee_writes_nothing(dave: Any, main_st: Any, change: dict[str, str], message: str) -> None:
    rows = [dict(FEES[0], **change), *FEES[1:]]
    with pytest.raises(ServiceError, match=message):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=rows)
    assert not FeeSchedule.objects.exists() and not Fee.objects.exists()


def test_bad_package_and_duplicates(dave: Any, main_st: Any) -> None:
    package = dict(FEES[3], sessions=1)
    with pytest.raises(ServiceError, match="at least 2 sessions"):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=[package])
    stray = dict(FEES[3], covers="consultation", service="package:consultation")
    with pytest.raises(ServiceError, match="one kind of session"):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=[stray])
    with pytest.raises(ServiceError, match="priced twice"):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=[FEES[0], FEES[0]])
    with pytest.raises(ServiceError, match="at least one fee"):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=[])
    assert not FeeSchedule.objects.exists()


def test_history_is_never_rewritten(schedule: Any, dave: Any, main_st: Any) -> None:
    with pytest.raises(ServiceError, match="after the current one"):
        fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=FEES)
    assert FeeSchedule.objects.count() == 1


def test_only_billing_managers_at_the_location(alice: Any, main_st: Any, carol: Any, lakeside: Any) -> None:
    with pytest.raises(PermissionDenied):
        fees.create_schedule(by=alice, location=main_st, effective_from=dt.date(2026, 1, 1), fees=FEES)
    with pytest.raises(PermissionDenied):
        fees.create_schedule(by=carol, location=lakeside, effective_from=dt.date(2026, 1, 1), fees=FEES)


def test_catalogue_has_every_protocol_and_the_visits() -> None:
    keys = {s.key for s in fees.catalogue()}
    assert {IV, "protocol:depression_im", "protocol:esketamine", "consultation", "follow_up"} <= keys
    assert fees.service_label("package:" + IV).startswith("Package: ")
    assert fees.service_label("nothing") == "nothing"
    assert len(fees.fee_rows(None)) == len(fees.catalogue())
