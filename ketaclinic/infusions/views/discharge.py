"""Discharge, the session note (signed, locked, printable), the REMS Patient Monitoring Form and its tracker."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import monitoring
from ketaclinic.infusions import forms, services
from ketaclinic.infusions.queries import get_session_for_user, sessions_visible_to
from ketaclinic.infusions.services import discharge as discharging
from ketaclinic.infusions.services import notes, rems
from ketaclinic.infusions.services.common import protocol_for
from ketaclinic.infusions.views.common import attempt, back_to_chair, render_chair, session_url, version_of


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def discharge(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    if session.status not in ("observation", "infusing"):
        return redirect(session_url(session))
    scale = request.POST.get("scale") or request.GET.get("scale") or "aldrete"
    if scale not in discharging.DISCHARGE_SCALES:
        scale = "aldrete"
    form = forms.DischargeForm(
        request.POST or None,
        initial={"version": session.version, "escort_name": session.escort_name},
        scale=scale,
        esketamine=session.is_esketamine,
    )
    protocol = protocol_for(session)
    preview = discharging.readiness(
        session, at=timezone.now(), scores={}, sedation=None, dissociation=None, respiratory_depression=None
    )
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "scale": scale,
        "protocol": protocol,
        "instructions": discharging.instructions_for(session),
        "preview": [u for u in preview.unmet if "Aldrete" not in u and "assessed" not in u],
        "minutes": session.t_min(timezone.now()),
        "observation": discharging.observation(session, at=timezone.now()),
        "observation_source": monitoring.OBSERVATION_SOURCES[protocol.min_observation_basis],
        "is_prescriber": request.user.role == "prescriber",
    }
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.discharge_patient(
                by=request.user,
                session=session,
                version=version_of(form),
                scale=scale,
                answers=form.answers(),
                sedation=form.flag("sedation"),
                dissociation=form.flag("dissociation"),
                respiratory_depression=form.flag("respiratory_depression"),
                escort_name=form.cleaned_data.get("escort_name") or "",
                instructions_given=bool(form.cleaned_data.get("instructions_given")),
                discharged_at=form.cleaned_data.get("discharged_at"),
                early_discharge_reason=form.cleaned_data.get("early_discharge_reason") or "",
                token=form.cleaned_data["token"],
            ),
            success="Discharged. Review the session note, then sign it.",
            done=back_to_chair(session, "note"),
            failed=lambda status: render(request, "infusions/discharge.html", context, status=status),
        )
    return render(request, "infusions/discharge.html", context)


@require_POST
@staff_view("sessions.sign")
def sign(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.SessionForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, sign_errors=["Reload the page and sign again."])
    return attempt(
        request,
        form,
        lambda: services.sign_note(by=request.user, session=session, version=version_of(form)),
        success="Signed. The session record is locked.",
        done=back_to_chair(session, "note"),
        failed=lambda status: render_chair(
            request, session, status=status, sign_errors=[str(e) for e in form.non_field_errors()]
        ),
    )


@require_GET
@staff_view("sessions.view")
def note(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The printable note: the signed text once signed; before that, a draft assembled from the record now."""
    session = get_session_for_user(request.user, session_id)
    if session.status in ("check_in", "cancelled"):
        raise Http404("No note before the session has started.")
    text = session.note_text if session.status == "signed" else notes.assemble_note(session)
    audit.record(actor=request.user, action="session.note.print", obj=session, patient_id=session.patient_id)
    return render(request, "infusions/note.html", {"session": session, "patient": session.patient, "text": text})


@require_GET
@staff_view("sessions.view")
def note_pdf(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The signed note as a PDF download (only once signed: a draft is never filed as a document)."""
    session = get_session_for_user(request.user, session_id)
    if session.status != "signed":
        raise Http404("The note is printed to PDF once it is signed.")
    content = notes.note_pdf(session, by=request.user)
    audit.record(actor=request.user, action="session.note.pdf", obj=session, patient_id=session.patient_id)
    return _pdf(content, f"session-note-{session.patient.mrn}-{timezone.localtime(session.note_signed_at):%Y-%m-%d}")


@require_GET
@staff_view("sessions.view")
def rems_pdf(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The copy of the REMS form as submitted (only once submitted)."""
    session = get_session_for_user(request.user, session_id)
    if not session.is_esketamine or session.rems_submitted_at is None:
        raise Http404("The REMS form is printed to PDF once it is recorded as submitted.")
    content = notes.rems_pdf(session, by=request.user)
    audit.record(actor=request.user, action="session.rems.pdf", obj=session, patient_id=session.patient_id)
    return _pdf(content, f"rems-form-{session.patient.mrn}-{timezone.localtime(session.rems_submitted_at):%Y-%m-%d}")


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@staff_view("sessions.view")
def rems_form(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    if not session.is_esketamine or session.status in ("check_in", "cancelled"):
        raise Http404("No REMS form for this session.")
    form = forms.RemsForm(request.POST or None, initial={"version": session.version})
    data = session.rems_form if session.rems_submitted_at else rems.rems_form(session)
    audit.record(actor=request.user, action="session.rems.view", obj=session, patient_id=session.patient_id)
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "data": data,
        "missing": rems.missing_fields(data),
        "status": rems.status(session),
    }
    if request.method == "POST":
        if request.user.role not in ("nurse", "prescriber"):
            raise Http404("Not allowed.")
        if form.is_valid():
            return attempt(
                request,
                form,
                lambda: services.submit_rems(
                    by=request.user,
                    session=session,
                    version=version_of(form),
                    confirmation=form.cleaned_data["confirmation"],
                ),
                success="REMS form recorded as submitted.",
                done=lambda _r: redirect("infusions:rems", session_id=session.pk),
                failed=lambda status: render(request, "infusions/rems.html", context, status=status),
            )
    return render(request, "infusions/rems.html", context)


@require_GET
@staff_view("sessions.view")
def rems_tracker(request: AuthedRequest) -> HttpResponse:
    """Esketamine sessions whose REMS form is still to be submitted, with the days left (7-calendar-day window)."""
    pending = rems.outstanding(sessions_visible_to(request.user))
    today = timezone.localdate()
    rows = [(session, rems.status(session, today)) for session in pending[:200]]
    audit.record(actor=request.user, action="session.rems.tracker", detail={"outstanding": len(rows)})
    return render(request, "infusions/rems_list.html", {"rows": rows})
