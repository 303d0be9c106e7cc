"""Forms of the site's own pages (the audit viewer's filter)."""

from __future__ import annotations

from typing import cast

from django import forms

from ketaclinic.accounts.models import User


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    mrn = forms.CharField(label="Patient MRN", max_length=20, required=False)
    action = forms.CharField(max_length=80, required=False, help_text="e.g. patient.view_chart or auth.")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, admin: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        users = User.objects.filter(clinic=admin.clinic).order_by("username")
        cast("forms.ModelChoiceField[User]", self.fields["user"]).queryset = users

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data
