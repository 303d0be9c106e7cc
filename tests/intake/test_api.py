"""/api/v1/intake: the public create (no auth, honeypot, rate limit), staff triage, intake and eligibility endpoints,
and /api/v1/alerts — roles, scoping, validation (nothing written on bad input)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import ConsultationRequest, EligibilityDecision, IntakeAssessment
from ketaclinic.intake.services import consultation
from ketaclinic.outcomes.models import SafetyAlert
from tests.intake.factories import consultation_request, draft_intake, submitted_intake

BASE = "/api/v1/intake"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def public_payload(location: Any, **changes: Any) -> dict[str, Any]:
    payload = {
        "location_id": location.pk,
        "given_name": "Noor",
        "family_name": "Haddad",
        "date_of_birth": "1979-11-03",
        "sex": "female",
        "email": "noor@example.org",
        "preferred_contact_method": "email",
        "concern": "pain",
        "pain_type": "crps",
        "antidepressants_tried": "none",
        "in_psychiatric_care": False,
        "in_medical_care": True,
        "contraindications": ["high_blood_pressure"],
        "pregnancy": "no",
        "consent_to_contact": True,
    }
    payload.update(changes)
    return payload


def post(url: str, payload: Any, **headers: Any) -> Any:
    return Client().post(url, payload, content_type="application/json", **headers)


def patch(url: str, payload: Any, **headers: Any) -> Any:
    return Client().patch(url, payload, content_type="application/json", **headers)


def test_the_public_create_needs_no_login_and_flags_for_review(main_st: Any) -> None:
    response = post(f"{BASE}/consultation-requests", public_payload(main_st))
    assert response.status_code == 201, response.json()
    body = response.json()
    request = ConsultationRequest.objects.get()
    assert body["reference"] == request.reference and set(body) == {"reference", "message"}
    assert request.needs_clinical_review and request.red_flags[0]["code"] == "high_blood_pressure"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"email": "", "preferred_contact_method": "email"}, "email"),
        ({"consent_to_contact": False}, "consent_to_contact"),
        ({"contraindications": ["nonsense"]}, "contraindications"),
        ({"location_id": 999999}, "location"),
        ({"given_name": "Nu\u0000ll"}, "given_name"),
        ({"concern": "pain", "pain_type": ""}, "pain_type"),
    ],
)
def test_bad_public_input_is_422_naming_the_field_and_stores_nothing(
    changes: dict[str, Any], field: str, main_st: Any
) -> None:
    response = post(f"{BASE}/consultation-requests", public_payload(main_st, **changes))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not ConsultationRequest.objects.exists()


def test_the_public_api_honeypot_and_rate_limit(main_st: Any, settings: Any) -> None:
    trap = post(f"{BASE}/consultation-requests", public_payload(main_st, website="http://spam.example"))
    assert trap.status_code == 201 and trap.json()["reference"].startswith("C-")
    assert not ConsultationRequest.objects.exists()
    assert AuditEvent.objects.filter(action="consultation.honeypot").count() == 1
    settings.KETACLINIC_CONSULTATION_RATE_LIMIT = 2  # the honeypot hit counts toward the limit (issue 13, defect 7)
    assert post(f"{BASE}/consultation-requests", public_payload(main_st)).status_code == 201
    refused = post(f"{BASE}/consultation-requests", public_payload(main_st, family_name="Again"))
    assert refused.status_code == 429 and "try again later" in refused.json()["detail"]
    assert ConsultationRequest.objects.count() == 1


def test_staff_list_read_update_and_convert(carol: Any, alice: Any, main_st: Any, lake: Any, erin: Any) -> None:
    request = consultation_request(main_st)
    headers = bearer(carol)
    listing = Client().get(f"{BASE}/consultation-requests", **headers).json()
    assert listing["count"] == 1 and listing["items"][0]["reference"] == request.reference
    assert Client().get(f"{BASE}/consultation-requests", **bearer(erin)).json()["count"] == 0  # other location
    detail = Client().get(f"{BASE}/consultation-requests/{request.pk}", **headers).json()
    assert detail["events"][0]["action"] == "submitted" and detail["possible_duplicate_patient_ids"] == []
    assert Client().get(f"{BASE}/consultation-requests/{request.pk}", **bearer(erin)).status_code == 404
    moved = patch(f"{BASE}/consultation-requests/{request.pk}", {"status": "contacted", "note": "Called"}, **headers)
    assert moved.status_code == 200 and moved.json()["status"] == "contacted"
    stale = patch(f"{BASE}/consultation-requests/{request.pk}", {"note": "x", "expected_version": 1}, **headers)
    assert stale.status_code == 409
    bad = patch(f"{BASE}/consultation-requests/{request.pk}", {"status": "booked"}, **headers)
    assert bad.status_code == 422 and "consultation_at" in str(bad.json()["detail"])
    empty = patch(f"{BASE}/consultation-requests/{request.pk}", {}, **headers)
    assert empty.status_code == 422
    converted = post(f"{BASE}/consultation-requests/{request.pk}/convert", {"location_id": main_st.pk}, **headers)
    assert converted.status_code == 201, converted.json()
    request.refresh_from_db()
    assert request.status == "converted" and request.patient_id == converted.json()["patient_id"]
    again = post(f"{BASE}/consultation-requests/{request.pk}/convert", {"location_id": main_st.pk}, **headers)
    assert again.status_code == 409


def test_clinic_admin_and_anonymous_cannot_triage(dave: Any, main_st: Any) -> None:
    request = consultation_request(main_st)
    assert Client().get(f"{BASE}/consultation-requests").status_code == 401
    assert Client().get(f"{BASE}/consultation-requests/{request.pk}", **bearer(dave)).status_code == 403


def test_a_nurse_runs_the_intake_through_the_api(alice: Any, pat: Any) -> None:
    headers = bearer(alice)
    started = post(f"{BASE}/patients/{pat.pk}/assessments", {}, **headers)
    assert started.status_code == 201
    intake_id = started.json()["id"]
    assert post(f"{BASE}/patients/{pat.pk}/assessments", {}, **headers).status_code == 409
    changes = {
        "indication": "treatment_resistant_depression",
        "routes": ["iv"],
        "pregnancy": "no",
        "systolic_mmhg": 122,
        "diastolic_mmhg": 76,
        "weight_kg": 70.5,
        "height_cm": 168,
        "vitals_at": "2026-01-05T10:00:00",
    }
    updated = patch(f"{BASE}/assessments/{intake_id}", changes, **headers)
    assert updated.status_code == 200, updated.json()
    assert updated.json()["weight_kg"] == 70.5 and updated.json()["vitals_at"].endswith(("Z", "+00:00"))
    bad = patch(f"{BASE}/assessments/{intake_id}", {"systolic_mmhg": 100, "diastolic_mmhg": 120}, **headers)
    assert bad.status_code == 422 and "diastolic_mmhg" in str(bad.json()["detail"])
    assert patch(f"{BASE}/assessments/{intake_id}", {"ptsd": None}, **headers).status_code == 422
    screen = {
        "audit_c_frequency": 2,
        "audit_c_typical_quantity": 1,
        "audit_c_binge_frequency": 0,
        "programme": "series",
        "liver_tests_on": "2026-01-02",
    }
    screened = patch(f"{BASE}/assessments/{intake_id}", screen, **headers)
    assert screened.status_code == 200, screened.json()
    assert {name: screened.json()[name] for name in screen} == screen
    out_of_range = patch(f"{BASE}/assessments/{intake_id}", {"audit_c_frequency": 5, "programme": "weekly"}, **headers)
    assert out_of_range.status_code == 422
    assert {"audit_c_frequency", "programme"} <= {entry["loc"][-1] for entry in out_of_range.json()["detail"]}
    assert patch(f"{BASE}/assessments/{intake_id}", {}, **headers).json()["audit_c_frequency"] == 2
    cleared = patch(f"{BASE}/assessments/{intake_id}", {"audit_c_frequency": None, "liver_tests_on": None}, **headers)
    assert cleared.status_code == 200 and cleared.json()["audit_c_frequency"] is None
    assert cleared.json()["liver_tests_on"] is None
    trial = {"drug": "sertraline", "dose": "150 mg", "weeks_at_dose": 8, "outcome": "no_response"}
    for drug in ("sertraline", "bupropion"):
        assert post(f"{BASE}/assessments/{intake_id}/trials", {**trial, "drug": drug}, **headers).status_code == 201
    med = post(
        f"{BASE}/assessments/{intake_id}/medications",
        {"generic_name": "Zolpidem", "dose": "5 mg", "frequency": "nightly"},
        **headers,
    )
    assert med.status_code == 201 and med.json()["drug_classes"] == ["z drug"]
    line = patch(f"{BASE}/assessments/{intake_id}/medications/{med.json()['id']}", {"taking": False}, **headers)
    assert line.status_code == 200 and line.json()["taking"] is False
    scale = Client().put(
        f"{BASE}/assessments/{intake_id}/scales/phq9",
        {"answers": [1, 1, 1, 1, 1, 1, 1, 1]},
        content_type="application/json",
        **headers,
    )
    assert scale.status_code == 422 and "item_9" in str(scale.json()["detail"])
    for instrument, answers in (
        ("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0]),
        ("gad7", [0, 1, 0, 1, 0, 1, 0]),
        ("cssrs_screener", [False, False, None, None, None, False, None]),
    ):
        response = Client().put(
            f"{BASE}/assessments/{intake_id}/scales/{instrument}",
            {"answers": answers},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.json()
    assert (
        Client()
        .put(
            f"{BASE}/assessments/{intake_id}/scales/madrs", {"answers": [0]}, content_type="application/json", **headers
        )
        .status_code
        == 422
    )
    detail = Client().get(f"{BASE}/assessments/{intake_id}", **headers).json()
    assert detail["failed_adequate_trials"] == 2 and detail["treatment_resistant"] and detail["missing"] == {}
    submitted = post(f"{BASE}/assessments/{intake_id}/submit", {}, **headers)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert patch(f"{BASE}/assessments/{intake_id}", {"ptsd": True}, **headers).status_code == 409
    assert Client().get(f"{BASE}/patients/{pat.pk}/assessments", **headers).json()["count"] == 1


def test_submitting_an_incomplete_intake_names_every_gap(alice: Any, pat: Any) -> None:
    headers = bearer(alice)
    intake_id = post(f"{BASE}/patients/{pat.pk}/assessments", {}, **headers).json()["id"]
    response = post(f"{BASE}/assessments/{intake_id}/submit", {}, **headers)
    assert response.status_code == 422
    fields = {item["loc"][-1] for item in response.json()["detail"]}
    assert {"indication", "routes", "vitals", "phq9", "gad7", "cssrs_screener"} <= fields
    assert IntakeAssessment.objects.get(pk=intake_id).status == "draft"


def test_eligibility_review_and_signing_through_the_api(alice: Any, bob: Any, pat: Any) -> None:
    assert Client().get(f"{BASE}/patients/{pat.pk}/eligibility", **bearer(bob)).status_code == 409
    submitted_intake(patient=pat, clinician=alice, routes=["iv", "intranasal_esketamine"], systolic=150, diastolic=92)
    review = Client().get(f"{BASE}/patients/{pat.pk}/eligibility", **bearer(alice)).json()
    assert review["status"] == "needs_review"
    assert {r["route"]: r["status"] for r in review["routes"]} == {
        "iv": "eligible",
        "intranasal_esketamine": "needs_review",
    }
    only_iv = Client().get(f"{BASE}/patients/{pat.pk}/eligibility", {"routes": "iv"}, **bearer(alice)).json()
    assert only_iv["status"] == "eligible" and only_iv["findings"] == []
    payload = {"routes": ["iv", "intranasal_esketamine"], "outcome": "eligible"}
    assert post(f"{BASE}/patients/{pat.pk}/decisions", payload, **bearer(alice)).status_code == 403
    missing_reason = post(f"{BASE}/patients/{pat.pk}/decisions", payload, **bearer(bob))
    assert missing_reason.status_code == 422 and "override_esketamine_bp_above_140_90" in str(missing_reason.json())
    assert not EligibilityDecision.objects.exists()
    payload["overrides"] = [
        {"code": "esketamine_bp_above_140_90", "reason": "Home readings 130s/80s; recheck pre-dose."}
    ]
    signed = post(f"{BASE}/patients/{pat.pk}/decisions", payload, **bearer(bob))
    assert signed.status_code == 201, signed.json()
    body = signed.json()
    assert body["version"] == 1 and body["current"] and body["overrides"][0]["code"] == "esketamine_bp_above_140_90"
    assert Client().get(f"{BASE}/decisions/{body['id']}", **bearer(alice)).json()["current"] is True
    assert Client().get(f"{BASE}/patients/{pat.pk}/decisions", **bearer(alice)).json()["count"] == 1
    duplicate = {**payload, "overrides": payload["overrides"] * 2, "amendment_reason": "x"}
    assert post(f"{BASE}/patients/{pat.pk}/decisions", duplicate, **bearer(bob)).status_code == 422


def test_alerts_api_lists_and_acknowledges(alice: Any, bob: Any, pat: Any, erin: Any) -> None:
    draft = draft_intake(
        patient=pat, clinician=alice, scales={"cssrs_screener": [True, False, None, None, None, False, None]}
    )
    alert = SafetyAlert.objects.get()
    assert draft and alert.assigned_to == alice
    mine = Client().get("/api/v1/alerts/", **bearer(alice)).json()
    assert mine["count"] == 1 and mine["items"][0]["severity"] == "low"
    assert Client().get("/api/v1/alerts/", {"show": "all"}, **bearer(bob)).json()["count"] == 1
    assert Client().get(f"/api/v1/alerts/{alert.pk}", **bearer(erin)).status_code == 404
    assert post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"follow_up_note": ""}, **bearer(alice)).status_code == 422
    done = post(
        f"/api/v1/alerts/{alert.pk}/acknowledge", {"follow_up_note": "Called; safety plan made."}, **bearer(alice)
    )
    assert done.status_code == 200 and done.json()["acknowledged_by_id"] == alice.pk
    assert (
        post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"follow_up_note": "again"}, **bearer(alice)).status_code == 409
    )
    assert Client().get("/api/v1/alerts/", **bearer(alice)).json()["count"] == 0


def test_the_openapi_document_declares_every_intake_endpoint(db: Any) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/intake/consultation-requests",
        "/api/v1/intake/consultation-requests/{request_id}",
        "/api/v1/intake/consultation-requests/{request_id}/convert",
        "/api/v1/intake/patients/{patient_id}/assessments",
        "/api/v1/intake/assessments/{assessment_id}",
        "/api/v1/intake/assessments/{assessment_id}/scales/{instrument}",
        "/api/v1/intake/assessments/{assessment_id}/submit",
        "/api/v1/intake/patients/{patient_id}/eligibility",
        "/api/v1/intake/patients/{patient_id}/decisions",
        "/api/v1/intake/decisions/{decision_id}",
        "/api/v1/alerts/",
        "/api/v1/alerts/{alert_id}/acknowledge",
    ):
        assert path in paths, path
    create = paths["/api/v1/intake/consultation-requests"]["post"]
    assert "security" not in create or create["security"] == [{}] or create["security"] == []
    assert {"201", "422", "429"} <= set(create["responses"])


def test_consultation_service_refuses_an_inactive_location(main_st: Any) -> None:
    from django.core.exceptions import ValidationError

    main_st.is_active = False
    main_st.save()
    with pytest.raises(ValidationError, match="locations"):
        consultation.submit_request(data={}, location=main_st, client_ip="192.0.2.1")


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("trials", {"drug": "", "dose": "1 mg", "weeks_at_dose": 8, "outcome": "no_response"}),
        ("trials", {"drug": "x", "dose": "1 mg", "weeks_at_dose": 999, "outcome": "no_response"}),
        ("trials", {"drug": "x", "dose": "1 mg", "weeks_at_dose": 8, "outcome": "cured"}),
        ("medications", {"generic_name": "x", "dose": "", "frequency": "daily"}),
        ("medications", {"generic_name": "x\u0000", "dose": "1 mg", "frequency": "daily"}),
    ],
)
def test_bad_intake_lines_are_422_and_write_nothing(path: str, payload: dict[str, Any], alice: Any, pat: Any) -> None:
    headers = bearer(alice)
    intake_id = post(f"{BASE}/patients/{pat.pk}/assessments", {}, **headers).json()["id"]
    response = post(f"{BASE}/assessments/{intake_id}/{path}", payload, **headers)
    assert response.status_code == 422
    intake = IntakeAssessment.objects.get(pk=intake_id)
    assert not intake.trials.exists() and not intake.medications.exists()


def test_bad_conversion_input_registers_nobody(carol: Any, main_st: Any, lakeside: Any) -> None:
    from ketaclinic.patients.models import Patient

    request = consultation.change_status(by=carol, request=consultation_request(main_st), to_status="contacted")
    headers = bearer(carol)
    url = f"{BASE}/consultation-requests/{request.pk}/convert"
    assert post(url, {"location_id": lakeside.pk}, **headers).status_code == 422  # not one of carol's locations
    assert post(url, {"location_id": main_st.pk, "primary_clinician_id": 999999}, **headers).status_code == 422
    assert post(url, {"location_id": main_st.pk, "expected_version": 1}, **headers).status_code == 409
    assert post(url, {"location_id": "main"}, **headers).status_code == 422
    assert not Patient.objects.exists()
