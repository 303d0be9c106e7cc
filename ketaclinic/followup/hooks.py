"""What the follow-up app learns from the apps above it, registered by them at start-up (ARCHITECTURE.md "One
direction").

A signed progress letter is also a FHIR document. ``fhir`` (above ``followup``) knows how to build that Bundle;
``followup`` signs the letter. So ``fhir`` registers a *document freezer* here from its ``AppConfig.ready()``, and
``services.letters.sign_letter`` calls it inside the signing transaction: the Bundle is frozen with the signature,
and a later change to the chart (the patient's new address) never changes the signed document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DocumentFreezer = Callable[[Any], dict[str, Any]]
"""``freezer(letter)`` → the FHIR document Bundle of a letter that is being signed (its signature fields set)."""

_freezers: dict[str, DocumentFreezer] = {}


def register_document_freezer(name: str, freezer: DocumentFreezer) -> None:
    """Register (or replace) the freezer called ``name``: registering twice never freezes twice."""
    _freezers[name] = freezer


def frozen_document(letter: Any) -> dict[str, Any] | None:
    """The document Bundle to store with the signature, or None when no app builds one (the FHIR app not installed)."""
    for freezer in _freezers.values():
        return freezer(letter)
    return None
