"""Forms of the questionnaire pages: the patient's answers (one radio group per item) and the staff's send/revoke."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from ketaclinic.domain import instruments
from ketaclinic.followup.services.questionnaires import LINK_INSTRUMENTS, REVOKE_REASON_MAX_CHARS

HONEYPOT_FIELD = "website"


def field_name(instrument: str, number: int) -> str:
    return f"{instrument}_{number}"


@dataclass(frozen=True)
class Section:
    """One scale on the page: its heading, the instructions and its fields in item order."""

    instrument: str
    title: str
    instructions: str
    fields: list[Any]
    numeric: bool = True  # every option is a bare number (0–10 scales): laid out in a row of number buttons


class AnswersForm(forms.Form):
    """One required radio group per scored item (optional items such as the PHQ-9 difficulty question may be
    skipped). The scoring service checks the answers again; this form only collects them."""

    website = forms.CharField(required=False, label="Leave this field empty", max_length=200)

    def __init__(self, scales: Sequence[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scales = tuple(scales)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        for name in self.scales:
            for item in instruments.get(name).items:
                self.fields[field_name(name, item.number)] = forms.TypedChoiceField(
                    label=item.text,
                    choices=[(str(value), label) for value, label in item.options],
                    coerce=int,
                    empty_value=None,
                    required=item.required,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Please choose an answer to this question."},
                )

    def sections(self) -> Iterator[Section]:
        for name in self.scales:
            definition = instruments.get(name)
            fields = [self[field_name(name, item.number)] for item in definition.items]
            instructions = definition.instructions or (
                "How much pain do you have right now? Choose a number from 0 (no pain) to 10."
                if name == "pain_nrs"
                else ""
            )
            numeric = all(label.isdigit() for item in definition.items for _, label in item.options)
            yield Section(name, definition.name, instructions, fields, numeric)

    def answers(self) -> dict[str, list[object]]:
        return {
            name: [self.cleaned_data.get(field_name(name, item.number)) for item in instruments.get(name).items]
            for name in self.scales
        }


SCALE_CHOICES = [(name, instruments.get(name).name) for name in LINK_INSTRUMENTS]


class SendForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label="Questionnaires", choices=SCALE_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["phq9", "gad7"]
    )


class RevokeForm(forms.Form):
    link = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason", max_length=REVOKE_REASON_MAX_CHARS)
