"""The clinic's licensed CPT descriptor file: loaded by a clinic admin (CLI ``ketaclinic billing load-descriptors``),
checked whole before anything is written, replacing the previous load (audited); the claim and superbill pages show a
loaded descriptor under our short label, marked as the clinic's. The file here is made up, never AMA text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from ketaclinic import cli
from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import CodeDescriptor
from ketaclinic.billing.services import claims, superbills
from ketaclinic.billing.services.descriptors import descriptors_for, load_descriptors, parse_descriptors
from tests.billing.claims_world import FEES, billing_fixture, cover, session  # noqa: F401

pytestmark = pytest.mark.django_db

MADE_UP = "code\tdescriptor\n96365\tMade-up long text for the first infusion hour\n\nJ3490\tMade-up drug line text\n"


def test_a_tab_or_comma_file_is_read_with_its_header_and_blank_lines_skipped() -> None:
    assert parse_descriptors(MADE_UP) == [
        ("96365", "Made-up long text for the first infusion hour"),
        ("J3490", "Made-up drug line text"),
    ]
    assert parse_descriptors('99213,"Made-up text, with a comma"\r\ng2083,Made-up\n') == [
        ("99213", "Made-up text, with a comma"),
        ("G2083", "Made-up"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no code and descriptor lines"),
        ("code,descriptor\n", "no code and descriptor lines"),
        ("96365\n", "Line 1: give a code and its descriptor"),
        ("96365,ok\n9636,short\n", "Line 2: '9636' is not a five-character code"),
        ("96365,ok\n96366,  \n", "Line 2: the descriptor of 96366 is empty"),
        ("96365,ok\n96365,again\n", "Line 2: 96365 is in the file twice"),
        ("96365," + "x" * 2001 + "\n", "longer than 2000 characters"),
    ],
)
def test_a_bad_line_is_named(text: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        parse_descriptors(text)


def test_a_load_replaces_the_previous_one_and_is_audited(dave: Any, carol: Any, clinic: Any) -> None:
    assert load_descriptors(by=dave, file_name="C:\\files\\cpt-2027.txt", text=MADE_UP) == 2
    assert load_descriptors(by=dave, file_name="cpt-2028.csv", text="96365,Newer made-up text\n") == 1
    row = CodeDescriptor.objects.get()
    assert (row.code, row.descriptor, row.source_file_name, row.loaded_by) == (
        "96365",
        "Newer made-up text",
        "cpt-2028.csv",
        dave,
    )
    events = AuditEvent.objects.filter(action="billing.descriptors_loaded").order_by("pk")
    assert [e.detail for e in events] == [
        {"file": "cpt-2027.txt", "codes": 2, "replaced": 0},
        {"file": "cpt-2028.csv", "codes": 1, "replaced": 2},
    ]
    assert descriptors_for(clinic.pk, ["96365", "J3490"]) == {"96365": "Newer made-up text"}
    assert descriptors_for(None, ["96365"]) == {} and descriptors_for(clinic.pk, []) == {}


def test_a_bad_file_or_a_non_admin_writes_nothing(dave: Any, carol: Any) -> None:
    load_descriptors(by=dave, file_name="good.txt", text=MADE_UP)
    with pytest.raises(ServiceError, match="Line 2"):
        load_descriptors(by=dave, file_name="bad.txt", text="96365,fine\nnot-a-code,oops\n")
    with pytest.raises(PermissionDenied):
        load_descriptors(by=carol, file_name="good.txt", text=MADE_UP)
    assert CodeDescriptor.objects.count() == 2
    assert set(CodeDescriptor.objects.values_list("source_file_name", flat=True)) == {"good.txt"}


def test_the_cli_loads_the_file_and_refuses_a_bad_one(dave: Any, tmp_path: Path, capsys: Any) -> None:
    good = tmp_path / "licensed.tsv"
    good.write_text(MADE_UP, encoding="utf-8")
    assert cli.main(["billing", "load-descriptors", str(good), "--by", dave.username]) == 0
    assert "Loaded 2 descriptors from licensed.tsv" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("96365\n", encoding="utf-8")
    assert cli.main(["billing", "load-descriptors", str(bad), "--by", dave.username]) == 1
    assert "Line 1" in capsys.readouterr().err
    assert cli.main(["billing", "load-descriptors", str(good), "--by", "nobody"]) == 1
    assert cli.main(["billing", "load-descriptors", str(tmp_path / "missing.txt"), "--by", dave.username]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert CodeDescriptor.objects.count() == 2


def test_claim_and_superbill_pages_show_the_loaded_descriptor_under_our_label(
    client_as: Any, carol: Any, bob: Any, dave: Any, pat: Any, billing: Any
) -> None:
    cover(carol, pat, billing["acme"])
    iv = session(pat, bob, "iv", "40", infusion_min=40)
    claim = claims.create_claim(by=carol, sessions=[iv], payer=billing["acme"], fees=FEES)
    bill = superbills.generate_superbill(by=carol, sessions=[iv], fees=FEES)
    client = client_as(carol)
    before = client.get(f"/billing/claims/{claim.pk}/").content.decode()
    assert "IV infusion" in before and "from the clinic's licensed file" not in before
    load_descriptors(by=dave, file_name="licensed.txt", text=MADE_UP)
    for url in (f"/billing/claims/{claim.pk}/", f"/billing/superbills/{bill.pk}/"):
        page = client.get(url).content.decode()
        assert "IV infusion" in page, url  # our own label stays
        assert "Made-up long text for the first infusion hour" in page, url
        assert "(from the clinic's licensed file)" in page, url
    pdf = client.get(f"/billing/superbills/{bill.pk}.pdf").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Made-up long text for the first infusion hour" in text and "licensed file" in text
