"""Forms for consents. They only shape input; the rules (name match, ticked box, superseded versions, scan type and
size) live in ``consents.services``, which refuses with a message per field.

``ElectronicSignatureForm`` and the partial ``consents/_sign_form.html`` are what any page that lets a patient sign
uses: the staff tablet page here, and the patient portal's consent page.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.consents.models import ConsentDocument
from ketaclinic.patients.models import Consent

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConsentDocumentForm(OnceForm, forms.Form):
    kind = forms.ChoiceField(label="Kind of document", choices=ConsentDocument.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="The full text the patient reads and signs, as plain text (no HTML); blank lines separate "
        "paragraphs. Once published it cannot be changed: a change is a new version.",
    )
    effective_on = forms.DateField(label="Effective from", widget=DATE)


class ElectronicSignatureForm(OnceForm, forms.Form):
    """The patient's signature. ``text_sha256`` carries the digest of the text the page showed, so the service can
    prove that what was signed is what was shown. ``agreed`` is optional here: the service refuses an unticked box
    with a message saying why."""

    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    agreed = forms.BooleanField(
        label="I have read this document, I agree to it, and I agree to sign it electronically.", required=False
    )
    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        help_text="First name, then last name, as the clinic has it on file.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )
    drawn_signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=300_000)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "typed_name": data["typed_name"],
            "agreed": bool(data.get("agreed")),
            "drawn_signature": data.get("drawn_signature") or None,
            "shown_sha256": data["text_sha256"],
        }


class PaperConsentForm(OnceForm, forms.Form):
    kind = forms.ChoiceField(label="Consent", choices=Consent.Kind.choices)
    version = forms.CharField(max_length=20, help_text="The version printed on the form, e.g. 2026-01 or 3.")
    signed_at = forms.DateTimeField(label="Signed at", widget=DATETIME)
    signed_by_name = forms.CharField(
        label="Signed by",
        max_length=200,
        help_text="The patient, or their legal representative (name and relationship).",
    )
    expires_on = forms.DateField(label="Expires on", widget=DATE, required=False)
    scan = forms.FileField(
        label="Scan of the signed form",
        help_text="PDF, JPEG or PNG. The file's content is checked, not its name.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class PublishForm(OnceForm, forms.Form):
    """Publishing a draft: no fields, the one-time token keeps a double click from publishing twice."""
