"""Ledger reports and the inspection export as PDF, through the one document path: the location's letterhead, "Page
X of Y" and who produced it on every page, no patient strip; audited as an export like the CSV and print."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.consents.conftest import pdf_pages, pdf_tools_available
from tests.ledger.test_reports import books  # noqa: F401  (fixture used by name)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not pdf_tools_available(), reason="PDF TESTS NOT RUN: pango is missing"),
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


def test_the_inspection_export_downloads_as_a_pdf(books: dict[str, Any], client: Any, dave: Any) -> None:  # noqa: F811
    sign_in(client, dave)
    url = reverse("ledger:report", kwargs={"kind": "inspection"})
    query = f"?location={books['main'].pk}&date_from=2026-12-01&date_to=2026-12-09"
    response = client.get(url + query + "&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-inspection-')
    assert response["X-Content-Type-Options"] == "nosniff"
    pages = pdf_pages(response.content)
    for number, text in enumerate(pages, start=1):
        for expected in ("Test Clinic", f"Page {number} of {len(pages)}", "Produced by Dave Test on"):
            assert expected in text, (number, expected)
        assert "Patient:" not in text
    assert "Every entry" in "\n".join(pages)
    assert AuditEvent.objects.filter(actor=dave, action="ledger.report.export", detail__format="pdf").exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "ledger-inspection.pdf"
    target.write_bytes(response.content)
    if (pdftoppm := shutil.which("pdftoppm")) is not None:
        subprocess.run(  # noqa: S603  (fixed arguments, our own file)
            [pdftoppm, "-png", "-r", "70", "-f", "1", "-l", "1", str(target), str(ARTIFACTS / "ledger-inspection")],
            check=True,
        )
