"""The session note, assembled from the record (never typed from memory): who, what was ordered and given, the
check-in, every reading, alert, assessment, side effect, rescue medication and rate change, the discharge. Plain text
with fixed sections so it prints and reads the same everywhere; times in the clinic's zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.documents import render_pdf
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.infusions.services.checklist import LABELS, checklist
from ketaclinic.patients import documents as chart_documents


def _t(moment: dt.datetime | None) -> str:
    return "—" if moment is None else f"{timezone.localtime(moment):%H:%M}"


def _rel(session: TreatmentSession, moment: dt.datetime, *, pre: str = "") -> str:
    t = session.t_min(moment)
    if t is None or (pre and t <= 0):
        return pre
    return f"t+{max(t, 0):.0f} min"


def _val(value: object, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


def assemble_note(session: TreatmentSession) -> str:
    patient, order = session.patient, session.order
    version = order.plan_version
    lines = [
        "TREATMENT SESSION NOTE",
        f"Patient: {patient.full_name}, MRN {patient.mrn}, born {patient.date_of_birth:%Y-%m-%d}",
        f"Date: {timezone.localtime(session.checked_in_at):%Y-%m-%d}  Location: {session.location.name}  "
        f"Chair: {session.chair}",
        f"Order: session {order.session_number} of plan #{version.plan_id} v{version.version} "
        f"({version.protocol_id}); {order.dose_mg} mg {order.route}"
        + (f", {order.rate_mg_per_h} mg/h, pump {order.pump_rate_ml_per_h} mL/h" if order.rate_mg_per_h else "")
        + (f", {order.devices} devices" if order.devices else ""),
        "",
        "CHECK-IN",
        f"Checked in {_t(session.checked_in_at)} by {session.checked_in_by.display_name}.",
    ]
    if session.status not in ("check_in", "cancelled"):
        lines.append("Hard stops met at the start:")
    for item in checklist(session, now=session.started_at or timezone.now()):
        if item.code == "order_date":
            lines.append(f"  note: {item.detail}")
            continue
        mark = "ok" if item.ok else ("MISSING" if item.blocking else "not done")
        lines.append(f"  [{mark}] {item.label}: {item.detail}")
    lines.append(
        f"Last food {_t(session.last_food_at)}, last liquids {_t(session.last_liquids_at)}; escort "
        f"{session.escort_name or '—'} {session.escort_phone}".rstrip()
    )
    if session.risk_benefit_note:
        lines.append(
            f"Esketamine R1 risk/benefit ({session.risk_benefit_by.display_name if session.risk_benefit_by else '—'}, "
            f"{_t(session.risk_benefit_at)}): {session.risk_benefit_note}"
        )
    lines += ["", "DRUG GIVEN"]
    for a in session.administrations.all():
        entry = f"ledger entry #{a.ledger_entry.seq}" if a.ledger_entry else "not yet posted to the ledger"
        waste = f", {a.drawn_ml - (a.given_ml or Decimal(0))} mL wasted (witnessed)" if a.waste_entry else ""
        lines.append(
            f"  {a.product_name} (NDC {a.ndc}), lot {a.lot_number} exp {a.lot_expires_on:%Y-%m-%d}, container "
            f"{a.container_label}: drawn {a.drawn_ml} mL, given {_val(a.given_ml, ' mL')}{waste}; {entry}"
        )
    lines.append(
        f"Started {_t(session.started_at)} by {session.started_by.display_name if session.started_by else '—'}"
        + (f"; infusion ended {_t(session.infusion_ended_at)}" if session.infusion_ended_at else "")
        + f"; dose delivered {_val(session.dose_delivered_mg, ' mg')}."
    )
    changes = list(session.rate_changes.all())
    if changes:
        lines.append("Rate history:")
        for c in changes:
            pump = f" (pump {c.pump_rate_ml_per_h} mL/h)" if c.pump_rate_ml_per_h is not None else ""
            reason = f": {c.reason}" if c.reason else ""
            lines.append(
                f"  {_t(c.at)} {_rel(session, c.at)} {c.get_kind_display()} {c.rate_mg_per_h} mg/h{pump}{reason}"
            )
    lines += ["", "VITAL SIGNS (time, t, BP, HR, SpO2, RR, MOAA/S, RASS)"]
    for r in session.readings.all():
        struck = f"  [entered in error: {r.entered_in_error_reason}]" if r.entered_in_error else ""
        bp = f"{r.systolic_mmhg}/{r.diastolic_mmhg}" if r.has_bp else "—"
        kind = "" if r.kind == "vitals" else f"  [{r.get_kind_display().lower()}]"
        lines.append(
            f"  {_t(r.taken_at)} {_rel(session, r.taken_at, pre='pre-dose')}: BP {bp}, "
            f"HR {_val(r.heart_rate_per_min)}, SpO2 {_val(r.spo2_percent, '%')}, "
            f"RR {_val(r.respiratory_rate_per_min)}, MOAA/S {_val(r.moaas)}, RASS {_val(r.rass)}{kind}{struck}"
        )
    alerts = list(session.alerts.order_by("raised_at", "pk"))
    lines += ["", "ALERTS"] + (
        [
            f"  {_t(a.raised_at)} {a.get_level_display().upper()}: {a.message} Action: {a.action} — acknowledged "
            f"{_t(a.acknowledged_at)} by {a.acknowledged_by.display_name if a.acknowledged_by else '—'}"
            + (f": {a.acknowledgement_note}" if a.acknowledgement_note else "")
            for a in alerts
        ]
        or ["  none"]
    )
    lines += ["", "ASSESSMENTS"] + (
        [
            f"  {_t(s.taken_at)} {_rel(session, s.taken_at, pre='pre-dose')} {LABELS.get(s.instrument, s.instrument)}: "
            f"{s.total:g}{' (' + s.band + ')' if s.band else ''}{' flags: ' + ', '.join(s.flags) if s.flags else ''}"
            + (f"  [entered in error: {s.entered_in_error_reason}]" if s.entered_in_error else "")
            for s in session.scores.all()
        ]
        or ["  none"]
    )
    lines += ["", "SIDE EFFECTS AND ADVERSE EVENTS"] + (
        [
            f"  {_t(e.started_at)} {e.label}, {e.get_severity_display().lower()}"
            + (" (ADVERSE EVENT)" if e.adverse_event else "")
            + f"; action: {e.action_taken or '—'}; outcome: {e.get_outcome_display().lower()}"
            + (f" at {_t(e.resolved_at)}" if e.resolved_at else "")
            + (f"  [entered in error: {e.entered_in_error_reason}]" if e.entered_in_error else "")
            for e in session.side_effects.all()
        ]
        or ["  none"]
    )
    lines += ["", "RESCUE MEDICATIONS (as entered)"] + (
        [
            f"  {_t(m.given_at)} {m.name} {m.dose} {m.get_route_display()} for {m.reason}"
            + (
                f"  [ALLERGY OVERRIDE by the prescriber: {m.allergy_override_reason}]"
                if m.allergy_override_reason
                else ""
            )
            + (f"  [entered in error: {m.entered_in_error_reason}]" if m.entered_in_error else "")
            for m in session.rescue_medications.all()
        ]
        or ["  none"]
    )
    if session.discharged_at:
        d = session.discharge_assessment or {}
        lines += [
            "",
            "DISCHARGE",
            f"Discharged {_t(session.discharged_at)} by "
            f"{session.discharged_by.display_name if session.discharged_by else '—'} after "
            f"{d.get('monitoring_min', '—')} min of monitoring; {LABELS.get(str(d.get('scale')), d.get('scale'))} "
            f"{d.get('total')} (discharge at ≥ {d.get('threshold')}).",
            f"Sedation {_yes_no(d.get('sedation'))}, dissociation {_yes_no(d.get('dissociation'))}, respiratory "
            f"depression {_yes_no(d.get('respiratory_depression'))}.",
            *(
                [
                    f"Discharged before the minimum observation ({d.get('observed_after_dosing_min')} of "
                    f"{d.get('minimum_observation_min')} min after the end of dosing, "
                    f"{str(d.get('minimum_observation_basis', '')).replace('_', ' ')}); prescriber's reason: "
                    f"{session.early_discharge_reason}"
                ]
                if session.early_discharge_reason
                else []
            ),
            f"Escort: {session.discharge_escort_name}.",
            "Instructions given:",
            *[f"  - {line}" for line in session.discharge_instructions.splitlines()],
        ]
    if session.note_signed_at:
        lines += [
            "",
            f"Signed by {session.note_signed_by.display_name if session.note_signed_by else '—'} at "
            f"{timezone.localtime(session.note_signed_at):%Y-%m-%d %H:%M}.",
        ]
    return "\n".join(lines)


def _yes_no(value: object) -> str:
    if value is True:
        return "present"
    return "absent" if value is False else "not assessed"


def note_pdf(session: TreatmentSession, *, by: User) -> bytes:
    """The signed note as a PDF through the one document path (letterhead, the patient's identifiers and "page X of
    Y" on every page, who produced it and when). Only a signed note: its text is locked, so every copy says the
    same."""
    if session.status != "signed":
        raise ValueError("only a signed note is printed to PDF")
    patient = session.patient
    body = render_to_string("infusions/note_pdf.html", {"session": session, "text": session.note_text})
    return render_pdf(
        title="Treatment session note",
        body_html=body,
        letterhead=chart_documents.letterhead(session.location),
        patient=chart_documents.identifiers(patient),
        produced=chart_documents.produced(patient, by=by),
    )


def rems_pdf(session: TreatmentSession, *, by: User) -> bytes:
    """The copy of the REMS Patient Monitoring Form as submitted (the stored form, not the record now)."""
    if session.rems_submitted_at is None:
        raise ValueError("only a submitted REMS form is printed to PDF")
    patient = session.patient
    body = render_to_string("infusions/rems_pdf.html", {"session": session, "data": session.rems_form})
    return render_pdf(
        title="Spravato REMS Patient Monitoring Form (copy)",
        body_html=body,
        letterhead=chart_documents.letterhead(session.location),
        patient=chart_documents.identifiers(patient),
        produced=chart_documents.produced(patient, by=by),
    )
