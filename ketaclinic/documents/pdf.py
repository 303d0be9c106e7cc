"""Render a document to PDF with WeasyPrint: letterhead, patient identifiers and page numbers on every page.

The frame (``templates/documents/page.html``) is rendered by a private template engine with autoescaping on, so a
name or address holding HTML is printed as text. The patient strip and the footer are CSS running elements
(``position: running(...)``), repeated by WeasyPrint in the page margins of every page; the page numbers are the
``counter(page)`` / ``counter(pages)`` of CSS Paged Media.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.template import Context, Engine
from django.utils.safestring import SafeString

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENGINE = Engine(dirs=[str(TEMPLATES)], autoescape=True)


class RemoteResourceRefused(ValueError):
    """A document asked for a resource that is not embedded in it (a web address, a file): refused, so rendering
    never reaches the network or reads the server's files."""


@dataclass(frozen=True)
class Letterhead:
    """The clinic's name and the location's address and phone, as the clinic settings hold them."""

    clinic_name: str
    location_name: str = ""
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PatientIdentifiers:
    name: str
    date_of_birth: dt.date
    mrn: str


@dataclass(frozen=True)
class Produced:
    """Who produced the document and when: ``at`` is an aware UTC moment, shown in ``timezone`` (the clinic's)."""

    by: str
    at: dt.datetime
    timezone: str

    @property
    def local(self) -> dt.datetime:
        return self.at.astimezone(ZoneInfo(self.timezone))

    @property
    def label(self) -> str:
        local = self.local
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({self.timezone})"


def local_only(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's URL fetcher: only ``data:`` URLs (an embedded signature image) are read; everything else —
    http(s), file, ftp — is refused. Fonts come from the system's fontconfig, not through this fetcher."""
    if not url.startswith("data:"):
        raise RemoteResourceRefused(f"refused to fetch {url[:80]!r}: documents embed everything they show")
    # WeasyPrint is imported where a PDF is made, not at module level: importing it loads pango through cffi, and a
    # server without pango should still serve every page that does not render a PDF (not a cycle being dodged).
    from weasyprint.urls import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]


def page_html(
    *,
    title: str,
    body_html: SafeString | str,
    letterhead: Letterhead,
    patient: PatientIdentifiers | None,
    produced: Produced,
    landscape: bool = False,
) -> str:
    """The whole HTML document handed to WeasyPrint (exposed for tests and for a print preview)."""
    context = Context(
        {
            "title": title,
            "body": SafeString(body_html) if isinstance(body_html, SafeString) else body_html,
            "letterhead": letterhead,
            "patient": patient,
            "produced": produced,
            "landscape": landscape,
        }
    )
    return _ENGINE.get_template("documents/page.html").render(context)


def render_pdf(
    *,
    title: str,
    body_html: SafeString | str,
    letterhead: Letterhead,
    patient: PatientIdentifiers | None,
    produced: Produced,
    landscape: bool = False,
) -> bytes:
    """The document as PDF bytes. ``body_html`` must be a SafeString rendered by an autoescaping template (a plain
    str is escaped and printed as text). ``patient`` is None only for a document about no one patient (a ledger
    report, the inspection export). ``landscape``: for wide tables (the ledger's reports)."""
    import weasyprint  # see local_only: loads pango, only when a PDF is rendered

    html = page_html(
        title=title,
        body_html=body_html,
        letterhead=letterhead,
        patient=patient,
        produced=produced,
        landscape=landscape,
    )
    document = weasyprint.HTML(string=html, url_fetcher=local_only, base_url=None)
    return document.write_pdf()  # type: ignore[no-any-return]
