"""Chart tags: the allergy line of the patient banner (shown on every page that shows the banner), and weight and
height in both metric and US units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from ketaclinic.domain import eligibility, protocols, units
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import allergy_status

register = template.Library()


@register.inclusion_tag("patients/_allergy_line.html", takes_context=True)
def allergy_line(context: template.Context, patient: Patient) -> dict[str, Any]:
    """Allergies in words (substance, reaction, severity), or "no known drug allergies" with who and when, or the
    caution that nothing is recorded yet."""
    return {"status": allergy_status(patient), "patient": patient, "can": context.get("can", {})}


@register.filter
def kg_lb(weight_kg: Decimal | None) -> str:
    """``81.6 kg (179.9 lb)``: the stored kilograms with pounds beside them (US clinics weigh in pounds)."""
    if weight_kg is None or weight_kg == "":
        return "—"
    return f"{weight_kg} kg ({units.pounds_from_kg(Decimal(weight_kg))} lb)"


@register.filter
def cm_ft_in(height_cm: Decimal | None) -> str:
    """``175.3 cm (5 ft 9 in)``: the stored centimetres with feet and inches beside them."""
    if height_cm is None or height_cm == "":
        return "—"
    return f"{height_cm} cm ({units.format_feet_inches(Decimal(height_cm))})"


@register.filter
def as_lb(weight_kg: Decimal | None) -> str:
    """``179.9 lb``, or "" without a weight."""
    return "" if weight_kg is None or weight_kg == "" else f"{units.pounds_from_kg(Decimal(weight_kg))} lb"


@register.filter
def as_ft_in(height_cm: Decimal | None) -> str:
    """``5 ft 9 in``, or "" without a height."""
    return "" if height_cm is None or height_cm == "" else units.format_feet_inches(Decimal(height_cm))


@register.filter
def clinical_label(code: str) -> str:
    """The clinician's words for a vocabulary code (route, indication, condition, finding, drug class): screens never
    show the stored code. A code outside the vocabulary is shown with spaces for underscores."""
    try:
        return eligibility.label(code)
    except ValueError:
        return str(code).replace("_", " ")


@register.filter
def clinical_labels(codes: list[str] | tuple[str, ...] | None) -> str:
    """``clinical_label`` of each code, joined with commas."""
    return ", ".join(clinical_label(code) for code in codes or ())


@register.filter
def protocol_name(protocol_id: str) -> str:
    """A protocol by its name in the library ("IV ketamine for depression"), not its id."""
    try:
        return protocols.get(protocol_id).name
    except (KeyError, ValueError):
        return str(protocol_id).replace("_", " ")


_UNIT_SUFFIXES = (
    ("_mg_per_kg_per_h", " (mg/kg/h)"),
    ("_mg_per_kg", " (mg/kg)"),
    ("_mg_per_h", " (mg/h)"),
    ("_per_min", " (/min)"),
    ("_mmhg", " (mmHg)"),
    ("_percent", " (%)"),
    ("_mg", " (mg)"),
    ("_ml", " (mL)"),
    ("_kg", " (kg)"),
    ("_min", " (min)"),
    ("_h", " (h)"),
    ("_days", " (days)"),
    ("_weeks", " (weeks)"),
)


@register.filter
def setting_words(name: str) -> str:
    """A protocol setting's key in words, its unit in brackets: ``max_rate_mg_per_h`` → "Max rate (mg/h)"."""
    text = str(name)
    for suffix, unit in _UNIT_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)] + unit
            break
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def setting_value(value: object) -> str:
    """A protocol setting's value in words: codes by their label, lists joined with commas."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(setting_value(item) for item in value) or "—"
    if isinstance(value, str):
        return clinical_label(value)
    return str(value)
