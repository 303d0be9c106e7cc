"""CSV cells that a spreadsheet shows as text, never runs as a formula (issue 13, defect 6).

OWASP "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab (0x09) or a carriage return (0x0D) may be evaluated by Excel, LibreOffice or Google Sheets as a
formula (``=HYPERLINK(...)`` sends data away, DDE runs commands). The fix OWASP gives is to prefix such a cell with a
single quote, and to quote every cell (which ``csv.QUOTE_MINIMAL`` does for separators, quotes and line breaks).
Attacker-controlled text reaches our exports through a failed-login username or a User-Agent (the audit CSV,
security.md H4/H6) and through patient, lot and note fields (ledger reports, the outcomes dashboard).

Numbers are data, not text: ``int``, ``float`` and ``Decimal`` values pass unchanged (a −0.5 mL adjustment stays
``-0.5``), and so does a string that is nothing but a plain decimal number such as ``"-2.50"`` (the dashboard formats
its means as text). A spreadsheet reads such a cell as the number it is; it cannot hold a formula. Everything else is
text and is neutralised. This module is plain Python so that every layer may import it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

#: The first characters OWASP "CSV Injection" lists as starting a formula (or a DDE payload).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralise(value: Any) -> Any:
    """One cell, safe to open in a spreadsheet: numbers unchanged, dangerous text prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(cell) for cell in row]


class _Echo:
    """A file-like object whose ``write`` returns the line, so rows can be streamed one by one."""

    def write(self, value: str) -> str:
        return value


class SafeCsvWriter:
    """``csv.writer`` for streaming responses: ``row(values)`` returns one CSV line with every cell neutralised."""

    def __init__(self) -> None:
        self._writer = csv.writer(_Echo())

    def row(self, values: Iterable[Any]) -> str:
        line: str = self._writer.writerow(neutralise_row(values))
        return line
