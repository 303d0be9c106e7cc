"""Clinical screens speak a clinician's words (issue 15): no stored code (``treatment_resistant_depression``, ``iv``
as a code, ``maoi``), no repository file (``clinical-rules.md §4``), no "issue N" in what a person reads. Sources are
published ones (author, year, label section). Stored codes and API values do not change."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.urls import reverse

from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.intake.services import assessment as intake
from ketaclinic.patients import services as patients
from tests.conftest import sign_in
from tests.intake.factories import draft_intake, signed_decision

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
FILE_REFERENCE = re.compile(r"\b[\w-]+\.md\b|\bissue \d+\b|\b(?:patients|intake|plans|infusions)\.[A-Z]\w+")


class _VisibleText(HTMLParser):
    """The text a person reads: element text and the labels of buttons, not attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def problems_in(html: str) -> list[str]:
    text = visible_text(html)
    return sorted(set(SNAKE_CASE.findall(text)) | set(FILE_REFERENCE.findall(text)))


def test_the_scanner_finds_codes_and_file_references() -> None:
    html = "<p>Indication: treatment_resistant_depression (clinical-rules.md §2, issue 6; patients.Consent)</p>"
    assert problems_in(html) == ["clinical-rules.md", "issue 6", "patients.Consent", "treatment_resistant_depression"]
    assert problems_in('<p data-code="dose_above_range">Dose above the range</p><script>a_b()</script>') == []


def test_intake_and_chart_pages_show_words_not_codes(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    patients.add_medication(by=alice, patient=pat, generic_name="phenelzine", dose="15 mg", frequency="tid")
    draft = draft_intake(
        patient=pat,
        clinician=alice,
        indication="crps",
        routes=("iv", "intranasal_esketamine"),
        conditions=["psychotic_disorder_history", "elevated_intraocular_pressure"],
        medications=["clonazepam"],
        failed_trials=1,
    )
    sign_in(client, alice)
    pages = {
        "workspace": reverse("intake:assessment", args=[draft.pk]),
        "medications": reverse("intake:medications", args=[draft.pk]),
        "background form": reverse("intake:assessment_background", args=[draft.pk]),
        "vitals form": reverse("intake:assessment_vitals", args=[draft.pk]),
        "phq9": reverse("intake:instrument", args=[draft.pk, "cssrs_screener"]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert problems_in(html) == [], name
    intake.submit_assessment(by=alice, assessment=draft)
    sign_in(client, bob)
    review = client.get(reverse("intake:eligibility_review", args=[pat.pk])).content.decode()
    assert problems_in(review) == []
    text = visible_text(review)
    assert "History of a psychotic disorder" in text and "Esketamine outside its approved indications" in text
    assert "Reason to override “History of a psychotic disorder”" in text
    assert "not complex regional pain syndrome (CRPS)" in text
    chart = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert problems_in(chart) == []
    assert "Raised intraocular pressure (e.g. glaucoma) (intake)" in visible_text(chart)


def test_decision_pages_show_route_labels(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    decision = signed_decision(patient=pat, prescriber=bob, routes=("iv", "intranasal_esketamine"))
    assert isinstance(decision, EligibilityDecision) and decision.routes == ["iv", "intranasal_esketamine"]
    sign_in(client, bob)
    for url in (
        reverse("intake:decision_detail", args=[decision.pk]),
        reverse("intake:patient_intakes", args=[pat.pk]),
        reverse("intake:eligibility_review", args=[pat.pk]),
    ):
        html = client.get(url).content.decode()
        assert problems_in(html) == [], url
        assert "Esketamine nasal spray (Spravato)" in visible_text(html)


def test_the_api_keeps_the_codes(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    draft = draft_intake(patient=pat, clinician=alice, medications=["phenelzine"])
    line = draft.medications.get(generic_name="phenelzine")
    assert line.drug_classes == ["maoi"] and line.drug_class_labels == ["MAO inhibitor"]
