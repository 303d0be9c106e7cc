"""Issue 5 in a real browser: the public reads the site and asks for a consultation; front desk triages and converts
the request into a patient; a nurse completes the intake (a positive suicide-risk screen raises an alert); the
prescriber acknowledges the alert, reviews every eligibility finding and signs. Every page is photographed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors

pytestmark = pytest.mark.browser

PUBLIC = [
    ("/", "Ketamine therapy, given with care"),
    ("/what-is-ketamine-therapy/", "What ketamine therapy is"),
    ("/how-it-works/", "How ketamine works"),
    ("/what-it-treats/", "What ketamine treats, and how good the evidence is"),
    ("/ways-it-is-given/", "Ways ketamine is given, and how to choose"),
    ("/your-session/", "What a session is like"),
    ("/risks/", "Risks and side effects"),
    ("/who-it-is-not-for/", "Who should not have ketamine"),
]


def new_page(browser: Any, viewport: dict[str, int], **extra: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, locale="en-US", **extra)
    page = context.new_page()
    return context, page, watch_errors(page)


def group(page: Any, name: str) -> Any:
    return page.get_by_role("group", name=re.compile(re.escape(name)))


@pytest.mark.parametrize(("width", "viewport"), [("tablet", TABLET), ("phone", PHONE)])
def test_the_public_site_reads_well_on_a_tablet_and_a_phone(
    live_server: Any, browser: Any, width: str, viewport: dict[str, int], main_st: Any
) -> None:
    extra = {"is_mobile": True, "has_touch": True} if width == "phone" else {}
    context, page, problems = new_page(browser, viewport, **extra)
    try:
        for number, (path, heading) in enumerate(PUBLIC, start=1):
            page.goto(live_server.url + path)
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
            expect(page.get_by_role("link", name="Request a consultation").first).to_be_visible()
            expect(page.get_by_text("call or text 988").first).to_be_visible()
            assert_fits_width(page)
            screenshot(page, f"issue5-public-{number:02d}-{path.strip('/') or 'home'}-{width}")
        page.goto(live_server.url + "/consultation/")
        expect(page.get_by_role("heading", name="Request a consultation", level=1)).to_be_visible()
        assert_fits_width(page)
        screenshot(page, f"issue5-public-09-consultation-form-{width}")
        # Print: the navigation and the call to action stay off paper.
        page.goto(live_server.url + "/risks/")
        page.emulate_media(media="print")
        expect(page.locator(".site-nav")).to_be_hidden()
        expect(page.locator(".cta-box")).to_be_hidden()
        page.emulate_media(media="screen")
        assert problems == []
    finally:
        context.close()


def test_from_the_public_form_to_a_signed_eligibility_decision(
    live_server: Any, browser: Any, settings: Any, carol: Any, alice: Any, bob: Any, main_st: Any
) -> None:
    from ketaclinic.intake.models import ConsultationRequest, EligibilityDecision, IntakeAssessment
    from ketaclinic.outcomes.models import SafetyAlert
    from ketaclinic.patients.models import Patient

    settings.KETACLINIC_MFA_FRONT_DESK = False
    base = live_server.url

    # 1. The public asks for a consultation (a phone, as most people would).
    context, page, problems = new_page(browser, PHONE, is_mobile=True, has_touch=True)
    page.goto(base + "/")
    page.get_by_role("link", name="Request a consultation").first.click()
    expect(page.get_by_role("heading", name="Request a consultation", level=1)).to_be_visible()
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Avery")
    page.get_by_label("Date of birth").fill("1986-06-14")
    page.get_by_label("Sex assigned at birth").select_option("female")
    page.get_by_role("button", name="Send my request").click()  # incomplete: field errors, nothing stored
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.locator(".field.has-error").first).to_be_visible()
    screenshot(page, "issue5-10-consultation-errors-phone")
    assert not ConsultationRequest.objects.exists()
    page.get_by_label("Phone number").fill("(217) 555-0177")
    page.get_by_label("E-mail address").fill("jordan.avery@example.org")
    group(page, "How should we contact you?").get_by_label("Phone call").check()
    group(page, "When is a good time?").get_by_label("Morning").check()
    group(page, "What would you like help with?").get_by_label("Depression").check()
    page.get_by_label("Anything else you would like us to know").fill("Three antidepressants have not helped.")
    group(page, "How many antidepressant medicines").get_by_label("Two or more").check()
    group(page, "seeing a psychiatrist, therapist").get_by_label("Yes", exact=True).check()
    group(page, "under a doctor's care").get_by_label("No", exact=True).check()
    group(page, "Are you pregnant").get_by_label("No", exact=True).check()
    page.get_by_label("I agree that the clinic contacts me").check()
    assert_fits_width(page)
    screenshot(page, "issue5-11-consultation-filled-phone")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Thank you: we received your request")).to_be_visible()
    request = ConsultationRequest.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(request.reference)
    assert_fits_width(page)
    screenshot(page, "issue5-12-consultation-thanks-phone")
    assert problems == []
    context.close()

    # 2. Front desk triages: contacted, booked, converted into a patient without retyping.
    context, page, problems = new_page(browser, TABLET)
    sign_in(page, base, carol, PASSWORD, key=None)
    expect(page.get_by_test_id("new-requests")).to_have_text("1")
    screenshot(page, "issue5-20-front-desk-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    expect(page.get_by_role("heading", name="Consultation requests")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "issue5-21-triage-queue")
    page.get_by_role("link", name="Avery, Jordan").click()
    expect(page.get_by_role("heading", name=re.compile("Jordan Avery"))).to_be_visible()
    group(page, "Move to").get_by_label("Contacted").check()
    page.get_by_label("Note", exact=True).first.fill("Spoke on the phone; consultation wanted.")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_contain_text("Status changed.")
    group(page, "Move to").get_by_label("Consultation booked").check()
    page.get_by_label("Consultation booked for").fill(
        (timezone.localtime() + timezone.timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    )
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".history")).to_contain_text("contacted → booked")
    assert_fits_width(page)
    screenshot(page, "issue5-22-triage-request-booked")
    page.get_by_role("link", name="Convert to patient…").click()
    expect(page.get_by_label("Given name")).to_have_value("Jordan")
    expect(page.get_by_label("Family name")).to_have_value("Avery")
    expect(page.get_by_label("Email")).to_have_value("jordan.avery@example.org")
    page.get_by_label("Primary clinician").select_option(str(bob.pk))
    assert_fits_width(page)
    screenshot(page, "issue5-23-convert-prefilled")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Jordan Avery", level=1)).to_be_visible()
    patient = Patient.objects.get(family_name="Avery")
    assert patient.primary_clinician == bob and ConsultationRequest.objects.get().status == "converted"
    screenshot(page, "issue5-24-new-patient-chart-front-desk")
    assert problems == []
    context.close()

    # 3. The nurse completes the intake on the chart.
    context, page, problems = new_page(browser, TABLET)
    sign_in(page, base, alice, PASSWORD, key=give_authenticator(alice))
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("link", name="Intake & eligibility").click()
    expect(page.get_by_role("heading", name="Intake and eligibility")).to_be_visible()
    screenshot(page, "issue5-30-intake-start")
    page.get_by_role("button", name="Start a new intake").click()
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_be_visible()
    expect(page.get_by_text("From the consultation request")).to_be_visible()
    screenshot(page, "issue5-31-intake-empty")

    page.locator("#background").get_by_role("link", name="Edit").click()
    page.get_by_label("Intended indication").select_option("treatment_resistant_depression")
    group(page, "Intended route(s)").get_by_label("IV infusion").check()
    group(page, "Intended route(s)").get_by_label("Esketamine nasal spray (Spravato)").check()
    page.get_by_label("Psychiatric history").fill(
        "Recurrent major depression since 2014; one brief psychotic episode in 2009."
    )
    group(page, "Medical history").get_by_label("History of a psychotic disorder").check()
    page.get_by_label("Pregnancy").select_option("no")
    page.get_by_label("Responsible adult for the ride home").fill("Sam Avery (partner)")
    screenshot(page, "issue5-32-intake-background-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Background and history: saved.")

    for drug, dose in (("sertraline", "150 mg a day"), ("venlafaxine", "225 mg a day")):
        page.get_by_role("link", name="Add a trial").click()
        page.get_by_label("Antidepressant (generic name)").fill(drug)
        page.get_by_role("textbox", name="Dose", exact=True).fill(dose)
        page.get_by_label("Weeks at that dose").fill("8")
        page.get_by_label("Outcome").select_option("no_response")
        if drug == "venlafaxine":
            screenshot(page, "issue5-33-intake-trial-form")
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("trd-summary")).to_contain_text(
        "2 failed adequate trial(s) in the current episode: meets"
    )

    page.get_by_role("link", name="Reconcile").click()
    page.get_by_label("Generic name").fill("lorazepam")
    page.get_by_role("textbox", name="Dose", exact=True).fill("0.5 mg")
    page.get_by_label("Frequency").fill("at night as needed")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("table")).to_contain_text("Benzodiazepine")
    assert_fits_width(page)
    screenshot(page, "issue5-34-medication-reconciliation")
    page.get_by_role("link", name="Done").click()

    page.locator("#vitals").get_by_role("link", name="Edit").click()
    page.get_by_label("Systolic (mmHg)").fill("150")
    page.get_by_label("Diastolic (mmHg)").fill("160")
    page.get_by_role("button", name="Save").click()  # diastolic above systolic: refused next to the field
    expect(page.locator(".field.has-error")).to_contain_text("The diastolic pressure must be below the systolic.")
    screenshot(page, "issue5-35-vitals-error")
    page.get_by_label("Diastolic (mmHg)").fill("84")
    page.get_by_label("Heart rate (/min)").fill("76")
    page.get_by_label("SpO₂ (%)").fill("98")
    page.get_by_label("Weight (kg)").fill("72.5")
    page.get_by_label("Height (cm)").fill("168")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("intake-bp")).to_have_text("150/84")

    def scale(instrument: str, answers: list[str], shot: str | None = None) -> None:
        page.locator(f'a[href$="/scales/{instrument}/"]').click()
        for number, answer in enumerate(answers, start=1):
            if answer:
                page.locator(f'input[name="item_{number}"][value="{answer}"]').check()
        if shot:
            screenshot(page, shot)
        page.get_by_role("button", name="Score and save").click()

    scale("phq9", ["2", "2", "2", "2", "1", "2", "2", "1", "0"], "issue5-36-phq9-item-by-item")
    expect(page.get_by_test_id("score-phq9")).to_contain_text("14 moderate")
    scale("gad7", ["1", "2", "1", "1", "1", "0", "1"])
    scale("cssrs_screener", ["yes", "no", "", "", "", "no", ""], "issue5-37-cssrs")
    expect(page.get_by_role("status")).to_contain_text("Suicide-risk screen positive")
    expect(page.get_by_role("alert").filter(has_text="Open safety alert")).to_contain_text(
        "Behavioural-health referral"
    )
    alert = SafetyAlert.objects.get()
    assert (alert.assigned_to, alert.severity) == (bob, "low")
    assert_fits_width(page)
    screenshot(page, "issue5-38-intake-complete")
    page.get_by_role("button", name="Submit intake").click()
    expect(page.get_by_role("status")).to_contain_text("Intake submitted.")
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_contain_text("Submitted")
    screenshot(page, "issue5-39-intake-submitted")
    assert IntakeAssessment.objects.get(patient=patient).status == "submitted"
    assert problems == []
    context.close()

    # 4. The prescriber sees the alert, acknowledges it, reviews eligibility and signs.
    context, page, problems = new_page(browser, TABLET)
    sign_in(page, base, bob, PASSWORD, key=give_authenticator(bob))
    expect(page.get_by_role("heading", name="Safety alerts for you (1)")).to_be_visible()
    expect(page.get_by_text("Intakes awaiting your eligibility review")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "issue5-40-prescriber-dashboard-alert")
    page.locator(".alert-card").get_by_role("link", name="Avery, Jordan").click()
    expect(page.get_by_text("Recommended action:")).to_be_visible()
    screenshot(page, "issue5-41-alert-detail")
    page.get_by_label("Follow-up").fill(
        "Called Jordan: passive thoughts only, no plan; safety plan reviewed; 988 given."
    )
    page.get_by_role("button", name="Acknowledge alert").click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Safety alerts for you"))).to_have_count(0)
    page.locator(".card", has_text="Intakes awaiting your eligibility review").get_by_role(
        "link", name="Avery, Jordan"
    ).click()

    expect(page.get_by_role("heading", name="Eligibility review")).to_be_visible()
    expect(page.get_by_test_id("status-iv")).to_have_text("Needs review")
    expect(page.get_by_test_id("status-intranasal_esketamine")).to_have_text("Needs review")
    findings = page.locator(".eligibility-findings")
    for code in ("psychotic_disorder_history", "esketamine_bp_above_140_90", "benzodiazepine"):
        expect(findings.locator(f'[data-code="{code}"]')).to_be_visible()
    expect(findings.locator('[data-code="psychotic_disorder_history"]')).to_contain_text("Source: Spravato PI §5.2")
    assert_fits_width(page)
    screenshot(page, "issue5-42-eligibility-review")
    group(page, "Decision").get_by_label("Eligible with conditions").check()
    page.get_by_role("button", name="Sign decision").click()  # no reasons yet: refused, nothing signed
    expect(page.locator(".field.has-error").first).to_contain_text("needs your written reason")
    assert not EligibilityDecision.objects.exists()
    screenshot(page, "issue5-43-sign-refused")
    page.get_by_role("textbox", name="Conditions").fill(
        "Psychiatry review before the first session; BP below 140/90 before esketamine."
    )
    page.get_by_label(re.compile("Reason to override .History of a psychotic disorder")).fill(
        "Single brief episode in 2009, none since; psychiatrist agrees."
    )
    page.get_by_label(re.compile("Reason to override .Blood pressure above 140/90 before esketamine")).fill(
        "Home readings 130s/80s; recheck before dosing."
    )
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_role("heading", name="Eligibility decision, version 1")).to_be_visible()
    expect(page.get_by_test_id("decision-outcome")).to_have_text("Eligible with conditions")
    expect(page.get_by_text("Current decision. Signed and locked.")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "issue5-44-decision-signed")
    decision = EligibilityDecision.objects.get()
    assert decision.signed_by == bob and {o["code"] for o in decision.overrides} == {
        "psychotic_disorder_history",
        "esketamine_bp_above_140_90",
    }
    # Signed means locked: the review page now offers only a new version.
    page.get_by_role("link", name="Review again / sign a new version").click()
    expect(page.get_by_text("It is locked; signing here creates version 2")).to_be_visible()
    screenshot(page, "issue5-45-review-after-signing")
    assert problems == []
    context.close()
