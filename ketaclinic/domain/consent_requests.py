"""Which of the clinic's published consent documents the patient portal asks a patient to sign (pure Python).

The rule (clinic practice, not a published number):

- the ketamine treatment consent, the telehealth consent and the financial policy: whenever the clinic has published
  one, every patient is asked to sign its current version;
- the esketamine (Spravato) REMS counselling acknowledgement: only a patient being treated with esketamine (a signed
  plan on the esketamine route, or a booked esketamine visit), since the REMS counselling concerns that product alone
  (Spravato REMS, FDA-approved REMS document);
- the at-home programme agreement: never asked in the portal; staff hand it over with the programme (on the chart's
  tablet page), because it only applies to a patient a clinician has chosen for it.

A version the patient already signed is not asked again; a newer published version is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

ASKED_OF_EVERYONE: Final = ("treatment", "telehealth", "financial_policy")
ESKETAMINE_ONLY: Final = "esketamine_rems"
STAFF_ONLY: Final = ("home_programme",)
ESKETAMINE_ROUTE: Final = "intranasal_esketamine"


def kinds_to_ask(published: Iterable[str], *, esketamine: bool) -> list[str]:
    """The kinds, of those ``published``, the portal asks this patient to sign, in the order given."""
    return [kind for kind in published if kind in ASKED_OF_EVERYONE or (kind == ESKETAMINE_ONLY and esketamine)]


__all__ = ["ASKED_OF_EVERYONE", "ESKETAMINE_ONLY", "ESKETAMINE_ROUTE", "STAFF_ONLY", "kinds_to_ask"]
