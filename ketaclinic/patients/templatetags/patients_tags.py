"""The allergy line of the patient banner: shown on every page that shows the banner (issue 15 item 4)."""

from __future__ import annotations

from typing import Any

from django import template

from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import allergy_status

register = template.Library()


@register.inclusion_tag("patients/_allergy_line.html", takes_context=True)
def allergy_line(context: template.Context, patient: Patient) -> dict[str, Any]:
    """Allergies in words (substance, reaction, severity), or "no known drug allergies" with who and when, or the
    caution that nothing is recorded yet."""
    return {"status": allergy_status(patient), "patient": patient, "can": context.get("can", {})}
