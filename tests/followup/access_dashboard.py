"""Access matrix rows of the clinic outcomes dashboard (prescribers and clinic admins: aggregates, no names)."""

from __future__ import annotations

from tests.test_access_matrix import ADMIN, PRESC, staff

EXPECTED: dict[str, dict[str, int]] = {
    "dashboard:index": staff(allowed=(PRESC, ADMIN)),
    "dashboard:export_csv": staff(allowed=(PRESC, ADMIN)),
}
