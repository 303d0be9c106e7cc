"""The message forms. No ``max_length`` here: the service refuses a message over the limit with its count (a
browser's ``maxlength`` would cut the text silently), and says what is missing in its own words."""

from __future__ import annotations

from django import forms

from ketaclinic.domain import messaging as rules


class NewThreadForm(forms.Form):
    subject = forms.CharField(
        label="Subject",
        required=False,
        help_text=f"A few words, for example “Question about my next visit” (up to {rules.SUBJECT_MAX_CHARS}).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    text = forms.CharField(
        label="Your message",
        required=False,
        strip=False,
        help_text=f"Plain text, up to {rules.TEXT_MAX_CHARS:,} characters.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Your message",
        required=False,
        strip=False,
        help_text=f"Plain text, up to {rules.TEXT_MAX_CHARS:,} characters.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class StaffReplyForm(forms.Form):
    text = forms.CharField(
        label="Reply to the patient",
        required=False,
        strip=False,
        help_text=f"Plain text, up to {rules.TEXT_MAX_CHARS:,} characters. The patient is told by e-mail or text "
        "that a message is waiting, without its content.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was it sent in error?", required=False, help_text="For example “meant for another patient”."
    )


class StaffNewThreadForm(forms.Form):
    subject = forms.CharField(
        label="Subject",
        required=False,
        help_text=f"Shown to the patient, up to {rules.SUBJECT_MAX_CHARS} characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    text = forms.CharField(
        label="Message",
        required=False,
        strip=False,
        help_text=f"Plain text, up to {rules.TEXT_MAX_CHARS:,} characters. The patient is told by e-mail or text "
        "that a message is waiting, without its content.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class InboxEmailForm(forms.Form):
    email = forms.CharField(
        label="Inbox notification e-mail",
        required=False,
        help_text="Blank: no e-mail. The notice says only that a patient wrote, never who or what.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
