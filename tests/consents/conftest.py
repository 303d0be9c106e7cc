"""Consent fixtures: signed files go to a private temporary folder; the clinic admin (dave) publishes documents."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import pytest

TREATMENT_TEXT = (
    "Ketamine is given by intravenous infusion under monitoring.\n\n"
    "Possible effects include dissociation, nausea and a rise in blood pressure.\n\n"
    "You must not drive until the next day."
)


def pdf_tools_available() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads pango: fails when the Debian packages are missing)
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.KETACLINIC_DOCUMENTS_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _needs_pdf_tools() -> None:
    if not pdf_tools_available():
        message = "PDF TESTS NOT RUN: pango is missing (scripts/ensure-pdf-tools.sh installs it)."
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def publish(
    by: Any,
    clinic: Any,
    kind: str = "treatment",
    *,
    title: str = "Consent to ketamine treatment",
    body: str = TREATMENT_TEXT,
    effective_on: dt.date | None = None,
) -> Any:
    from ketaclinic.consents import services

    document = services.create_document(
        by=by, clinic=clinic, kind=kind, title=title, body=body, effective_on=effective_on or dt.date(2026, 1, 1)
    )
    return services.publish_document(by=by, document=document)


@pytest.fixture
def treatment_doc(dave: Any, clinic: Any) -> Any:
    return publish(dave, clinic)


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF (pypdf)."""
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def sign(patient: Any, document: Any, witness: Any = None, **overrides: Any) -> Any:
    from ketaclinic.consents import services

    values = {
        "patient": patient,
        "document_version": document,
        "typed_name": patient.full_name,
        "agreed": True,
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPad; CPU OS 17_0) Tablet",
        "witnessed_by": witness,
        **overrides,
    }
    return services.sign_electronically(**values)
