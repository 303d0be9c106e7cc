from __future__ import annotations

from django import forms

from ketaclinic.outcomes.services import NOTE_MAX_CHARS


class AcknowledgeForm(forms.Form):
    follow_up_note = forms.CharField(
        label="Follow-up",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_MAX_CHARS,
        help_text="What you did or arranged (e.g. spoke with the patient, safety plan made, referral). Required.",
    )
