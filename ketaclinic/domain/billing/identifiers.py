"""Identifiers a bill carries: the National Provider Identifier and the federal tax id.

The NPI is 10 digits whose last digit is a Luhn check digit computed over the prefix 80840 and the first nine digits
(CMS, "Requirements for a Check Digit Algorithm for the National Provider Identifier", 2005; 1234567893 is the
standard valid test NPI used in the X12 example of the billing knowledge base). The tax id on a claim is an EIN or an
SSN, nine digits (CMS-1500 item 25; 837P 2010AA REF*EI / REF*SY).
"""

from __future__ import annotations

NPI_PREFIX = "80840"


def luhn_valid(digits: str) -> bool:
    """True when the string of digits passes the Luhn check (ISO/IEC 7812-1): the NPI's check digit (over the prefix
    80840) and a payment card number's (``invoicing.looks_like_card_number``) are both this check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def npi_problem(npi: str) -> str | None:
    """None when ``npi`` is a valid NPI; otherwise a sentence saying what is wrong."""
    if len(npi) != 10 or not npi.isdigit():
        return "An NPI is exactly 10 digits."
    if not luhn_valid(NPI_PREFIX + npi):
        return "This NPI's check digit is wrong: please copy it again from the NPI registry."
    return None


def tax_id_problem(tax_id: str) -> str | None:
    """None when ``tax_id`` (EIN or SSN, without dashes) is nine digits; otherwise a sentence saying what is wrong."""
    if len(tax_id) != 9 or not tax_id.isdigit():
        return "A tax id (EIN or SSN) is nine digits, without dashes."
    return None
