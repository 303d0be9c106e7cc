"""The portal's forms: they collect what the patient typed; the services decide (and say what is wrong)."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.scheduling.models import AppointmentMessage
from ketaclinic.scheduling.services.reminders import NOTE_MAX_CHARS


class AddressForm(forms.Form):
    address = forms.CharField(
        label="Your e-mail address or mobile number",
        max_length=254,
        help_text="The one the clinic has for you. We send a sign-in link there.",
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email", "autofocus": True}),
    )


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        help_text="To check it is you.",
        error_messages={"invalid": "Enter your date of birth, for example 04/30/1980."},
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday", "autofocus": True}),
    )


class ConfirmForm(forms.Form):
    """The pre-visit checklist's answers: only the questions its topics ask."""

    fasting = forms.BooleanField(label="I will not eat or drink before my visit as the checklist says.", required=False)
    medicines = forms.BooleanField(
        label="I will take my nasal medicine at least 1 hour before, as it says.", required=False
    )
    ride_home_name = forms.CharField(label="Name of the person taking you home", max_length=100, required=False)
    ride_home_phone = forms.CharField(
        label="Their phone number",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, topics: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan.FASTING not in topics:
            del self.fields["fasting"]
        if plan.MEDICINES not in topics:
            del self.fields["medicines"]
        if plan.RIDE_HOME not in topics:
            del self.fields["ride_home_name"], self.fields["ride_home_phone"]
        # Not marked required here: the service refuses a missing answer with words that say what to do.


class RequestForm(forms.Form):
    answer = forms.ChoiceField(
        label="What would you like?",
        choices=[
            (AppointmentMessage.Response.RESCHEDULE.value, "Another time"),
            (AppointmentMessage.Response.CANCEL.value, "Cancel this appointment"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Anything we should know? (optional, for example which days suit you)",
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
