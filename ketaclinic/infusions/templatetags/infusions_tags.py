"""Small template filters for the session pages."""

from __future__ import annotations

from django import template

from ketaclinic.infusions.services.checklist import LABELS

register = template.Library()


@register.filter
def scale_label(instrument: str) -> str:
    """The display name of a rating scale id (``phq9`` → ``PHQ-9``)."""
    return LABELS.get(instrument, instrument)
