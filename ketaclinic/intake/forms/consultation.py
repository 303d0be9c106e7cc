"""Forms of the public consultation request and of triage. They shape input; the rules live in the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.accounts.models import Location, User
from ketaclinic.domain import prescreen
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.services.consultation import DETAILS_MAX_CHARS, NOTE_MAX_CHARS, TRANSITIONS
from ketaclinic.patients.forms import DATE, DATETIME, PatientForm
from ketaclinic.patients.models import Patient

YES_NO = [("yes", "Yes"), ("no", "No")]
HONEYPOT_FIELD = "website"


def _yes_no(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=help_text,
    )


class ConsultationRequestForm(OnceForm, forms.ModelForm[ConsultationRequest]):
    """The public form. ``website`` is the honeypot: hidden from people, filled in by form-filling robots."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label="Which clinic would you like to visit?", empty_label=None
    )
    in_psychiatric_care = _yes_no(
        "Are you currently seeing a psychiatrist, therapist or other mental-health clinician?"
    )
    in_medical_care = _yes_no("Are you currently under a doctor's care for another medical condition?")
    contraindications = forms.MultipleChoiceField(
        label="Have you ever been told you have any of the following?",
        choices=[(question.key, question.text) for question in prescreen.QUESTIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick any that apply. A clinician reviews every answer; ticking one does not rule you out.",
    )
    consent_to_contact = forms.BooleanField(
        label="I agree that the clinic contacts me about this request by the method I chose.",
        required=True,
        error_messages={"required": "We can only answer if you agree that we contact you."},
    )
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = ConsultationRequest
        fields = [
            "location",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "preferred_contact_method",
            "preferred_contact_time",
            "concern",
            "pain_type",
            "details",
            "antidepressants_tried",
            "in_psychiatric_care",
            "in_medical_care",
            "contraindications",
            "pregnancy",
            "consent_to_contact",
        ]
        widgets = {
            "date_of_birth": DATE,
            "preferred_contact_method": forms.RadioSelect,
            "preferred_contact_time": forms.RadioSelect,
            "concern": forms.RadioSelect,
            "antidepressants_tried": forms.RadioSelect,
            "pregnancy": forms.RadioSelect,
            "details": forms.Textarea(attrs={"rows": 4, "maxlength": DETAILS_MAX_CHARS}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        labels = {
            "given_name": "First name",
            "family_name": "Last name",
            "sex": "Sex assigned at birth",
            "phone": "Phone number",
            "email": "E-mail address",
            "preferred_contact_method": "How should we contact you?",
            "preferred_contact_time": "When is a good time?",
            "concern": "What would you like help with?",
            "pain_type": "Which kind of pain?",
            "details": "Anything else you would like us to know (optional)",
            "antidepressants_tried": "How many antidepressant medicines have you tried for your current depression?",
            "pregnancy": "Are you pregnant, or could you be?",
        }
        help_texts = {
            "sex": "Some medicine doses are worked out from it. Choose “Unknown” if you prefer not to say.",
            "date_of_birth": "Our service is for adults (18 and over).",
            "antidepressants_tried": "Count each medicine you took for several weeks. If depression is not why you "
            "are asking, choose “None”.",
            "details": "Please do not include anything you would not want to send by e-mail.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(is_active=True).select_related("clinic").order_by("clinic__name", "name")
        field = cast("forms.ModelChoiceField[Location]", self.fields["location"])
        field.queryset = locations
        field.label_from_instance = lambda obj: obj.name  # type: ignore[method-assign]
        if locations.count() == 1:
            field.initial = locations.first()
            field.widget = forms.HiddenInput()
        self.fields["pain_type"].required = False
        cast("forms.ChoiceField", self.fields["pain_type"]).choices = [
            ("", "— only if you chose pain —"),
            *ConsultationRequest.PainType.choices,
        ]
        self.fields["preferred_contact_time"].initial = ConsultationRequest.ContactTime.ANY
        radios = {
            "preferred_contact_method": ConsultationRequest.ContactMethod,
            "concern": ConsultationRequest.Concern,
            "antidepressants_tried": ConsultationRequest.AntidepressantsTried,
            "pregnancy": ConsultationRequest.Pregnancy,
        }
        for name, choices in radios.items():
            cast("forms.ChoiceField", self.fields[name]).choices = choices.choices  # no "---------" radio button
        self.order_fields([*self.Meta.fields, HONEYPOT_FIELD])

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT_FIELD]

    def request_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "location"}
        data["contraindications"] = list(data["contraindications"])
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Move to", widget=forms.RadioSelect)
    consultation_at = forms.DateTimeField(
        label="Consultation booked for", required=False, widget=DATETIME, help_text="Needed when booking."
    )
    decline_reason = forms.ChoiceField(
        label="Reason for declining",
        required=False,
        choices=[("", "—"), *ConsultationRequest.DeclineReason.choices],
        help_text="Needed when declining. “Not a candidate” needs a clinician's review first.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, request: ConsultationRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(request.status, frozenset())
        cast("forms.ChoiceField", self.fields["status"]).choices = [
            (value, label) for value, label in ConsultationRequest.Status.choices if value in allowed
        ]


class NoteForm(OnceForm, forms.Form):
    note = forms.CharField(label="Note", max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class ClinicalReviewForm(OnceForm, forms.Form):
    note = forms.CharField(
        label="Clinical review",
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you saw in the pre-screen and what should happen next (e.g. book a consultation with a "
        "prescriber; not a candidate because …).",
    )


class ConvertForm(PatientForm):
    """Register the person from the request: the patient form, pre-filled from what they told us."""

    acknowledge_duplicates = forms.BooleanField(
        label="I checked the possible matches: this is a different person.", required=False
    )

    def __init__(self, *args: Any, user: User, show_acknowledge: bool, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not show_acknowledge:
            self.fields.pop("acknowledge_duplicates")


class LinkForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, candidates: list[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Patient]", self.fields["patient"])
        field.queryset = Patient.objects.filter(pk__in=[patient.pk for patient in candidates])


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("open", "Open (new, contacted, booked)"), ("", "All"), *ConsultationRequest.Status.choices],
    )
    review = forms.BooleanField(label="Needs clinical review only", required=False)
    q = forms.CharField(label="Name, e-mail or reference", required=False, max_length=100)
