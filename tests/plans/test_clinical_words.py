"""Plan pages show a clinician's words (issue 15): the indication, route and protocol by name, finding messages without
their codes, and published sources, not repository files."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketaclinic.plans import services
from tests.conftest import sign_in
from tests.intake.test_clinical_words import problems_in, visible_text
from tests.plans.conftest import iv_input


def test_plan_pages_name_the_indication_route_and_protocol(bob: Any, ready: Any, client: Any) -> None:
    version = services.save_draft(by=bob, patient=ready, data=iv_input())
    sign_in(client, bob)
    for url in (
        reverse("plans:version", args=[version.pk]),
        reverse("plans:patient_plans", args=[ready.pk]),
        reverse("plans:protocol_list"),
        reverse("plans:protocol_detail", args=["depression_iv"]),
        reverse("plans:protocol_detail", args=["esketamine"]),
    ):
        html = client.get(url).content.decode()
        assert problems_in(html) == [], url
    text = visible_text(client.get(reverse("plans:version", args=[version.pk])).content.decode())
    assert "Treatment-resistant depression" in text and "IV infusion" in text
    assert "kg (" in text and "lb)" in text and " ft " in text  # weight and height in both unit systems
