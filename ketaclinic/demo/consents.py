"""The demo clinic's consent documents: a published ketamine treatment consent and an esketamine (Spravato) REMS
counselling acknowledgement, so the demo's portal patients have consents to read and sign.

The texts are sample wording a clinic would replace with its own (the clinic admin publishes a new version); the one
number in them, monitoring for at least two hours, is the Spravato REMS requirement (FDA REMS@FDA, Spravato NDA
211243, REMS objective, last update 12/31/2024).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.consents import services as consents

TREATMENT = (
    "Ketamine treatment informed consent",
    "This is the demo clinic's sample text; the clinic replaces it with its own.\n\n"
    "What the treatment is. Ketamine is an anaesthetic medicine that is also used, outside its approved labelling, to "
    "treat depression and some kinds of pain. Your prescriber has explained why it is offered to you, the other "
    "treatments there are, and the state of the evidence.\n\n"
    "What to expect. During and after a session you may feel detached or dreamlike, sleepy, dizzy or sick, and your "
    "blood pressure may rise. Staff watch you until these effects have passed.\n\n"
    "Your part. You tell the clinic about every medicine you take and any change in your health; you do not drive, "
    "work machinery or make important decisions until the next day; someone takes you home.\n\n"
    "You may stop at any time. Saying no or stopping does not change the rest of your care.",
)
ESKETAMINE = (
    "Esketamine (Spravato) REMS counselling acknowledgement",
    "This is the demo clinic's sample text; the clinic replaces it with its own.\n\n"
    "Esketamine nasal spray is only available through a restricted programme, the SPRAVATO REMS. Before your first "
    "dose you are enrolled in it.\n\n"
    "After each dose you stay in the clinic and are watched for at least two hours and until the sleepiness, the "
    "feeling of being detached and any breathing problems have passed (SPRAVATO REMS). Your blood pressure is "
    "checked before and after the dose.\n\n"
    "You do not drive or operate machinery until the day after a dose, and you arrange for someone to take you "
    "home.\n\n"
    "I have been told about these risks and requirements and I have been able to ask questions.",
)


def load(*, users: dict[str, User]) -> None:
    """Publish version 1 of both documents for the demo clinic, in effect from a month ago."""
    admin = users["admin"]
    clinic = admin.clinic
    assert clinic is not None  # the demo's clinic admin belongs to the demo clinic
    effective = timezone.localdate() - dt.timedelta(days=30)
    for kind, (title, body) in (("treatment", TREATMENT), ("esketamine_rems", ESKETAMINE)):
        document = consents.create_document(
            by=admin, clinic=clinic, kind=kind, title=title, body=body, effective_on=effective
        )
        consents.publish_document(by=admin, document=document)
