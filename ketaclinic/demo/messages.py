"""One secure-message thread for the first demo portal patient (CONTRACTS.md §7): the patient's question, a nurse's
reply, and the patient's thanks, so the portal's messages and the location's inbox have something to show. Written
through the portal's services, so it is audited like real data."""

from __future__ import annotations

from ketaclinic.accounts.models import User
from ketaclinic.patients.models import Patient
from ketaclinic.portal.messaging import services as messaging

#: The demo's default address (``ketaclinic demo`` serves on it); only the reply's notice (no content) names it.
DEMO_URL = "http://127.0.0.1:8000/"


def load(*, patient: Patient, nurse: User) -> None:
    """Called once from ``demo.clinic.load`` after the appointments exist."""
    thread = messaging.start_thread(
        patient=patient,
        subject="Driving after my visit",
        text="Hello, my sister can bring me to my next treatment but not pick me up. "
        "Can I drive myself home if I wait long enough?",
    )
    messaging.staff_reply(
        by=nurse,
        thread=thread,
        text="Thank you for asking. Please do not drive on the day of your treatment: someone needs to take you "
        "home, or we can help you book a taxi. Call the front desk if that is hard to arrange.",
        base_url=DEMO_URL,
    )
    messaging.patient_reply(patient=patient, thread_id=thread.pk, text="Thanks, my neighbour will pick me up.")
