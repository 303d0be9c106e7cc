"""The one HTML-to-PDF path: every printable document (signed consent, signed session note, later the REMS copy,
ledger reports, superbills and letters) goes through ``render_pdf``.

It takes plain data — the body already rendered as HTML by the caller's own template, the letterhead, the patient's
identifiers and who produced the document — and never queries. Each page carries the clinic's letterhead, the
patient's name, date of birth and MRN, "Page X of Y" and a footer naming who produced it and when (in the clinic's
time zone). Fonts are Debian's DejaVu; nothing is fetched from the network (``local_only`` refuses every URL that is
not a ``data:`` URL).
"""

from ketaclinic.documents.pdf import (
    Letterhead,
    PatientIdentifiers,
    Produced,
    RemoteResourceRefused,
    local_only,
    render_pdf,
)

__all__ = ["Letterhead", "PatientIdentifiers", "Produced", "RemoteResourceRefused", "local_only", "render_pdf"]
