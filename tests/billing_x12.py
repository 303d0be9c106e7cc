"""Test helper: validate an 837P with pyx12 and read its 999 acknowledgement.

pyx12's ``x12valid`` console script exits with status 1 for both OK and failure (billing knowledge base §10.1), so the
verdict is read from the 999 it writes: ``IK5*A`` (transaction set accepted) and ``AK9*A`` (group accepted).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pyx12.params
import pyx12.x12n_document


@dataclass(frozen=True)
class X12Verdict:
    accepted: bool
    ack_999: str


def validate_837p(text: str) -> X12Verdict:
    """Run pyx12 over ``text`` and return whether its 999 accepts it (IK5 and AK9 both "A"), with the 999 text."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    param = pyx12.params.params()
    ack = io.StringIO()
    pyx12.x12n_document.x12n_document(param=param, src_file=io.StringIO(text), fd_997=ack, fd_html=None)
    ack_999 = ack.getvalue()
    segments = [s.strip() for s in ack_999.split("~") if s.strip()]
    ik5 = [s for s in segments if s.startswith("IK5*")]
    ak9 = [s for s in segments if s.startswith("AK9*")]
    accepted = bool(ik5) and all(s.startswith("IK5*A") for s in ik5) and bool(ak9) and ak9[0].startswith("AK9*A")
    return X12Verdict(accepted=accepted, ack_999=ack_999)
