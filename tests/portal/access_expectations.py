"""Access matrix rows for the patient portal (read by tests/test_access_matrix.py).

A staff login is not a portal session: every patient page sends staff and anonymous visitors alike to the portal's
sign-in page (302). The patient-against-patient walk is in tests/portal/test_pages.py."""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
EVERYONE = (ANON, FD, NURSE, PRESC, ADMIN)
TO_PORTAL_LOGIN = dict.fromkeys(EVERYONE, 302)
POST_ONLY = dict.fromkeys(EVERYONE, 405)
STAFF_INBOX = {ANON: 302, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 403}
#: URL names that are staff pages (their sign-in is the staff one, not the portal's).
STAFF_PAGES = ("portal:inbox", "portal:inbox_thread", "portal:inbox_start", "portal:inbox_settings")

EXPECTED: dict[str, dict[str, int]] = {
    "portal:login": dict.fromkeys(EVERYONE, 200),
    "portal:open_link": dict.fromkeys(EVERYONE, 410),  # walked with a token that is not valid
    "portal:logout": POST_ONLY,
    "portal:home": TO_PORTAL_LOGIN,
    "portal:appointments": TO_PORTAL_LOGIN,
    "portal:appointment": TO_PORTAL_LOGIN,
    "portal:confirm": POST_ONLY,
    "portal:ask": POST_ONLY,
    "portal:questionnaires": TO_PORTAL_LOGIN,
    "portal:questionnaire": TO_PORTAL_LOGIN,
    "portal:documents": TO_PORTAL_LOGIN,
    "portal:document": TO_PORTAL_LOGIN,
    "portal:consents": TO_PORTAL_LOGIN,
    "portal:consent_sign": TO_PORTAL_LOGIN,
    "portal:consent_signed": TO_PORTAL_LOGIN,
    "portal:consent_pdf": TO_PORTAL_LOGIN,
    "portal:messages": TO_PORTAL_LOGIN,
    "portal:home_check_in": TO_PORTAL_LOGIN,
    "portal:home_dose": TO_PORTAL_LOGIN,
    "portal:bills": TO_PORTAL_LOGIN,
    "portal:bill_pdf": TO_PORTAL_LOGIN,
    "portal:receipt_pdf": TO_PORTAL_LOGIN,
    "portal:thread": TO_PORTAL_LOGIN,
    # The care team's shared inbox is a staff page (staff sign-in); clinic admins do not read patients' messages.
    "portal:inbox": STAFF_INBOX,
    "portal:inbox_thread": STAFF_INBOX,
    "portal:inbox_assign": POST_ONLY,
    "portal:inbox_status": POST_ONLY,
    "portal:inbox_in_error": POST_ONLY,
    # Staff write first from the chart (the care team); clinic admins set each location's inbox notification e-mail.
    "portal:inbox_start": STAFF_INBOX,
    "portal:inbox_settings": {ANON: 302, FD: 403, NURSE: 403, PRESC: 403, ADMIN: 200},
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.portal.messaging import services as messaging

    thread = messaging.start_thread(patient=world["pat"], subject="Question", text="Can I drive after?")
    return {**world, "portal_thread": thread}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "portal:bill_pdf":
        return {"invoice_id": 1}
    if name == "portal:receipt_pdf":
        return {"payment_id": 1}
    if name == "portal:open_link":
        return {"token": "not-a-real-token"}
    if name in ("portal:appointment", "portal:confirm", "portal:ask"):
        return {"appointment_id": world["schedule"]["appt"].pk}
    if name == "portal:questionnaire":
        return {"link_id": 1}
    if name == "portal:home_dose":
        return {"check_in_id": 1}
    if name == "portal:document":
        return {"document_id": 1}
    if name == "portal:consent_sign":
        return {"document_id": 1}
    if name in ("portal:consent_signed", "portal:consent_pdf"):
        return {"signature_id": 1}
    if name in ("portal:thread", "portal:inbox_thread", "portal:inbox_assign", "portal:inbox_status"):
        return {"thread_id": world["portal_thread"].pk}
    if name == "portal:inbox_start":
        return {"patient_id": world["pat"].pk}
    if name == "portal:inbox_in_error":
        return {"message_id": world["portal_thread"].messages.get().pk}
    return None
