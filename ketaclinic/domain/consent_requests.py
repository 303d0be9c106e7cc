"""Which of the clinic's published consent documents the patient portal asks a patient to sign (pure Python).

The rule (clinic practice, not a published number):

- the ketamine treatment consent, the telehealth consent and the financial policy: whenever the clinic has published
  one, every patient is asked to sign its current version;
- the esketamine (Spravato) REMS counselling acknowledgement: only a patient being treated with esketamine (a signed
  plan on the esketamine route, or a booked esketamine visit), since the REMS counselling concerns that product alone
  (Spravato REMS, FDA-approved REMS document);
- the at-home programme agreement: never asked in the portal; staff hand it over with the programme (on the chart's
  tablet page), because it only applies to a patient a clinician has chosen for it.

A version the patient already signed is not asked again; a newer published version is. "Signed" means any current
consent of that kind and version on the chart: signed in the portal or on the tablet, on paper with its scan, or
recorded by staff (check-in reads all of them alike). Staff type the version of a paper form by hand, so "2", "v2"
and "Version 2" are the same version.
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


def same_version(typed: str) -> str:
    """A version as staff may type it ("2", "v2", "Version 2 ") in one spelling ("2")."""
    text = typed.strip().lower()
    for prefix in ("version", "ver.", "v"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip(" .:")
            break
    return text


def not_yet_held(asked: Iterable[tuple[str, int]], held: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
    """Of the (kind, version) documents ``asked``, those no current consent ``held`` (kind, version as typed) covers."""
    covered = {(kind, same_version(version)) for kind, version in held}
    return [(kind, version) for kind, version in asked if (kind, str(version)) not in covered]


__all__ = [
    "ASKED_OF_EVERYONE",
    "ESKETAMINE_ONLY",
    "ESKETAMINE_ROUTE",
    "STAFF_ONLY",
    "kinds_to_ask",
    "not_yet_held",
    "same_version",
]
