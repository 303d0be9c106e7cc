"""The billing profile page: a location's billing identity and clinicians' NPIs, with the NPI check digit (CMS)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import BillingProfile, ProviderIdentity

pytestmark = pytest.mark.django_db

GOOD = {
    "location": "",
    "legal_name": "Keta Clinic LLC",
    "npi": "1234567893",
    "tax_id": "123456789",
    "tax_id_kind": "ein",
    "taxonomy_code": "2084P0800X",
    "street": "123 Main St",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "627010000",
    "phone": "",
}


def test_a_wrong_check_digit_is_refused_and_nothing_saved(client_as: Any, dave: Any, main_st: Any) -> None:
    client = client_as(dave)
    assert client.get(f"/billing/profile/?location={main_st.pk}").status_code == 200
    bad = client.post("/billing/profile/save/", {**GOOD, "location": main_st.pk, "npi": "1234567890"})
    assert bad.status_code == 422 and "check digit" in bad.content.decode()
    short_zip = client.post("/billing/profile/save/", {**GOOD, "location": main_st.pk, "postal_code": "62701"})
    assert short_zip.status_code == 422 and "nine digits" in short_zip.content.decode()
    assert not BillingProfile.objects.exists()
    ok = client.post("/billing/profile/save/", {**GOOD, "location": main_st.pk})
    assert ok.status_code == 302 and BillingProfile.objects.get().npi == "1234567893"
    assert AuditEvent.objects.filter(action="billing.profile.save").count() == 1


def test_a_clinicians_npi(client_as: Any, dave: Any, bob: Any, carol: Any, main_st: Any) -> None:
    client = client_as(dave)
    bad = client.post("/billing/profile/npi/", {"location": main_st.pk, "user": bob.pk, "npi": "123"})
    assert bad.status_code == 422 and "10 digits" in bad.content.decode()
    not_clinician = client.post(
        "/billing/profile/npi/", {"location": main_st.pk, "user": carol.pk, "npi": "1234567893"}
    )
    assert not_clinician.status_code == 422
    ok = client.post("/billing/profile/npi/", {"location": main_st.pk, "user": bob.pk, "npi": "1234567893"})
    assert ok.status_code == 302 and ProviderIdentity.objects.get().user == bob
