"""Progress letters to the referring clinician (issue 20): the patient's letters, a draft's page (preview, edit,
sign), the signed PDF, entered in error; addenda to a signed letter (added and signed at once, their PDF, entered in
error). Thin: load through the patient's location (another location's patient or
letter is 404), validate, call one service (``followup.services.letters``); every page is an audited read.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.forms import OnceForm
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.documents import files
from ketaclinic.followup.models import LetterAddendum, ProgressLetter
from ketaclinic.followup.queries import letters as gathered
from ketaclinic.followup.services import addenda, letters
from ketaclinic.patients.document_views import attachment
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to


class LetterForm(forms.Form):
    recipient_name = forms.CharField(label="To (referring clinician)", max_length=200)
    recipient_npi = forms.CharField(label="Their NPI", max_length=10, required=False)
    recipient_contact = forms.CharField(label="Their address, phone or e-mail", max_length=300, required=False)
    plan_text = forms.CharField(
        label="The plan going forward",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In your words: continue, maintenance interval, stop, what you ask of the referrer.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why is this letter wrong?", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddendumForm(OnceForm, forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=addenda.TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the referrer should know in addition to the signed letter. Plain text.",
    )
    reason = forms.CharField(
        label="Why it is added",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: a correction, or news since the letter was signed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "addendum_%s")  # the page's entered-in-error form has a "reason" too
        super().__init__(*args, **kwargs)


class AddendumReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why is this addendum wrong?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the addendum is entered in error."},
    )


def _letter(request: AuthedRequest, letter_id: int) -> ProgressLetter:
    found = (
        ProgressLetter.objects.filter(pk=letter_id, patient__in=patients_visible_to(request.user))
        .select_related("patient", "patient__location", "patient__location__clinic", "signed_by", "created_by")
        .first()
    )
    if found is None:
        raise Http404("No such letter.")
    return found


def _version(request: AuthedRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@staff_view("outcomes.view")
def patient_letters(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    can_write = role_can(request.user.role, letters.CAPABILITY)
    form = LetterForm(request.POST or None, initial=letters.referrer_of(patient)) if can_write else None
    if request.method == "POST" and form is None:
        raise PermissionDenied("Only prescribers write progress letters.")

    def act(data: dict[str, Any]) -> Done:
        letter = letters.start_letter(by=request.user, patient=patient, data=data)
        return "Draft letter started: check what it reports, write the plan, then sign.", redirect(
            "letters:detail", letter_id=letter.pk
        )

    if form is not None and (done := submitted(request, form, act)):
        return done
    rows = list(
        patient.progress_letters.select_related("signed_by", "created_by", "entered_in_error_by").annotate(
            addenda_count=Count("addenda", filter=Q(addenda__entered_in_error=False))
        )
    )
    audit.record(actor=request.user, action="letter.list", obj=patient, patient_id=patient.pk)
    context = {
        "patient": patient,
        "letters": rows,
        "form": form,
        "series_complete": gathered.series_complete(patient),
    }
    return render(request, "followup/letters/patient.html", context)


def _detail(request: AuthedRequest, letter: ProgressLetter, **bound: forms.Form | None) -> HttpResponse:
    content = letter.content if letter.is_signed else gathered.gather(letter.patient)
    # A draft shows the live charts. A signed letter's charts are the ones frozen in its PDF: the live chart would
    # show scores recorded after signing beside a letter that does not report them.
    charts = [
        {
            "label": scale["label"],
            "src": reverse("trajectory:chart_svg", kwargs={"patient_id": letter.patient_id})
            + f"?scale={scale['instrument']}",
        }
        for scale in content.get("scales", [])
        if scale.get("follow_ups") and not letter.is_signed
    ]
    can_write = role_can(request.user.role, letters.CAPABILITY)
    editable = can_write and not letter.is_signed and not letter.entered_in_error
    appendable = can_write and letter.is_signed and not letter.entered_in_error
    context = {
        "addenda": list(letter.addenda.select_related("signed_by", "entered_in_error_by")),
        "addendum_form": (bound.get("addendum_form") or AddendumForm()) if appendable else None,
        # A refused addendum on a letter that takes none (a draft, one entered in error): its errors at the top.
        "refused_addendum": None if appendable else bound.get("addendum_form"),
        "can_withdraw_addenda": can_write,
        "addendum_withdrawal": bound.get("addendum_withdrawal"),
        "letter": letter,
        "patient": letter.patient,
        "content": content,
        "charts": charts,
        "charts_frozen_in_pdf": letter.is_signed and any(s.get("follow_ups") for s in content.get("scales", [])),
        "form": (bound.get("form") or LetterForm(initial=_initial(letter))) if editable else None,
        "can_sign": editable,
        "sign_form": bound.get("sign_form"),
        "reason_form": (bound.get("reason_form") or ReasonForm())
        if can_write and not letter.entered_in_error
        else None,
    }
    audit.record(actor=request.user, action="letter.view", obj=letter, patient_id=letter.patient_id)
    return render(request, "followup/letters/detail.html", context)


def _initial(letter: ProgressLetter) -> dict[str, str]:
    return {name: getattr(letter, name) for name in letters.TEXT_LIMITS}


@require_http_methods(["GET", "POST"])
@staff_view("outcomes.view")
def detail(request: AuthedRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    if request.method == "GET":
        return _detail(request, letter)
    if not role_can(request.user.role, letters.CAPABILITY):
        raise PermissionDenied("Only prescribers write progress letters.")
    form = LetterForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        letters.update_letter(by=request.user, letter=letter, data=data, expected_version=_version(request))
        return "Draft saved.", redirect("letters:detail", letter_id=letter.pk)

    return submitted(request, form, act) or _detail(request, letter, form=form)


@require_POST
@staff_view(letters.CAPABILITY)
def sign(request: AuthedRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    form = forms.Form(request.POST)

    def act(data: dict[str, Any]) -> Done:
        letters.sign_letter(by=request.user, letter=letter, expected_version=_version(request))
        return "Letter signed: the PDF is on the chart.", redirect("letters:detail", letter_id=letter.pk)

    if done := submitted(request, form, act):
        return done
    return _detail(request, letter, sign_form=form)


@require_GET
@staff_view("outcomes.view")
def pdf(request: AuthedRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    if letter.document is None:
        raise Http404("The letter is not signed yet: the PDF is made when it is signed.")
    audit.record(actor=request.user, action="letter.pdf", obj=letter, patient_id=letter.patient_id)
    return attachment(
        files.read(letter.document.file_name),
        content_type="application/pdf",
        filename=f"{letter.patient.mrn}-progress-letter-{letter.pk}.pdf",
    )


@require_POST
@staff_view(letters.CAPABILITY)
def entered_in_error(request: AuthedRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    form = ReasonForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        letters.mark_entered_in_error(by=request.user, letter=letter, reason=data["reason"])
        return "Letter marked entered in error.", redirect("letters:patient", patient_id=letter.patient_id)

    return submitted(request, form, act) or _detail(request, letter, reason_form=form)


@require_POST
@staff_view(letters.CAPABILITY)
def add_addendum(request: AuthedRequest, letter_id: int) -> HttpResponse:
    """Add an addendum to a signed letter: submitting it signs it (its author), as a letter is signed."""
    letter = _letter(request, letter_id)
    form = AddendumForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        addenda.add_addendum(by=request.user, letter=letter, text=data["text"], reason=data["reason"])
        return "Addendum signed: its PDF is on the chart.", redirect(
            reverse("letters:detail", kwargs={"letter_id": letter.pk}) + "#h-addenda"
        )

    return submitted(request, form, act) or _detail(request, letter, addendum_form=form)


def _addendum(request: AuthedRequest, addendum_id: int) -> LetterAddendum:
    found = (
        LetterAddendum.objects.filter(pk=addendum_id, letter__patient__in=patients_visible_to(request.user))
        .select_related("letter", "letter__patient", "letter__patient__location")
        .first()
    )
    if found is None:
        raise Http404("No such addendum.")
    return found


@require_GET
@staff_view("outcomes.view")
def addendum_pdf(request: AuthedRequest, addendum_id: int) -> HttpResponse:
    addendum = _addendum(request, addendum_id)
    patient = addendum.letter.patient
    audit.record(actor=request.user, action="letter.addendum.pdf", obj=addendum, patient_id=patient.pk)
    return attachment(
        files.read(addendum.document.file_name),
        content_type="application/pdf",
        filename=f"{patient.mrn}-progress-letter-{addendum.letter_id}-addendum-{addendum.pk}.pdf",
    )


@require_POST
@staff_view(letters.CAPABILITY)
def addendum_entered_in_error(request: AuthedRequest, addendum_id: int) -> HttpResponse:
    addendum = _addendum(request, addendum_id)
    form = AddendumReasonForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        addenda.mark_entered_in_error(by=request.user, addendum=addendum, reason=data["reason"])
        return "Addendum marked entered in error.", redirect(
            reverse("letters:detail", kwargs={"letter_id": addendum.letter_id}) + "#h-addenda"
        )

    if done := submitted(request, form, act):
        return done
    letter = _letter(request, addendum.letter_id)
    return _detail(request, letter, addendum_withdrawal=form)
