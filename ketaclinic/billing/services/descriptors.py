"""Load the clinic's licensed CPT descriptor file, and look descriptors up for the claim and superbill pages.

We never ship AMA CPT descriptor text (CPT is the AMA's copyright; our pages show our own short labels). A clinic that
licenses the descriptor file may load it here: a plain text file, one code a line, the code and its descriptor
separated by a tab or a comma (a first line ``code,descriptor`` is skipped as a header; blank lines are skipped). The
whole file is checked first: any bad line refuses the load with its line number and nothing is written. A load
replaces the clinic's previous descriptors (reference text, not clinical or financial data) and is audited with the
file's name, the count and how many rows it replaced.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Clinic, User
from ketaclinic.accounts.roles import Role
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import CodeDescriptor

__all__ = ["MAX_ROWS", "descriptors_for", "load_descriptors", "parse_descriptors"]

CODE = re.compile(r"^[A-Z0-9]{5}$")
"""A CPT or HCPCS Level II code: five letters or digits (CMS HCPCS general information)."""
MAX_ROWS = 20000
MAX_DESCRIPTOR = 2000


def parse_descriptors(text: str) -> list[tuple[str, str]]:
    """``(code, descriptor)`` rows of the file's text; ServiceError naming the first bad line."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < 2:
            raise ServiceError(f"Line {number}: give a code and its descriptor, separated by a tab or a comma.")
        code, descriptor = fields[0].strip().upper(), delimiter.join(fields[1:]).strip()
        if not rows and not seen and code == "CODE":
            seen.add(code)  # the header line
            continue
        if not CODE.match(code):
            raise ServiceError(f"Line {number}: {fields[0].strip()[:20]!r} is not a five-character code.")
        if not descriptor:
            raise ServiceError(f"Line {number}: the descriptor of {code} is empty.")
        if len(descriptor) > MAX_DESCRIPTOR:
            raise ServiceError(f"Line {number}: the descriptor of {code} is longer than {MAX_DESCRIPTOR} characters.")
        if code in seen:
            raise ServiceError(f"Line {number}: {code} is in the file twice.")
        seen.add(code)
        rows.append((code, descriptor))
        if len(rows) > MAX_ROWS:
            raise ServiceError(f"More than {MAX_ROWS} codes: is this the right file?")
    if not rows:
        raise ServiceError("The file has no code and descriptor lines.")
    return rows


@transaction.atomic
def load_descriptors(*, by: User, file_name: str, text: str) -> int:
    """Replace the clinic's descriptors with the file's (clinic admins only); the number loaded."""
    if by.role != Role.CLINIC_ADMIN or by.clinic_id is None:
        raise PermissionDenied("Only a clinic admin loads the clinic's licensed descriptor file.")
    rows = parse_descriptors(text)
    clinic = Clinic.objects.select_for_update().get(pk=by.clinic_id)
    name = (file_name.replace("\\", "/").rsplit("/", 1)[-1] or "descriptors")[:255]
    replaced, _ = CodeDescriptor.objects.filter(clinic=clinic).delete()
    now = timezone.now()
    CodeDescriptor.objects.bulk_create(
        CodeDescriptor(clinic=clinic, code=code, descriptor=said, source_file_name=name, loaded_by=by, loaded_at=now)
        for code, said in rows
    )
    audit.record(
        actor=by,
        action="billing.descriptors_loaded",
        obj=clinic,
        detail={"file": name, "codes": len(rows), "replaced": replaced},
    )
    return len(rows)


def descriptors_for(clinic_id: int | None, codes: Iterable[str]) -> dict[str, str]:
    """The clinic's licensed descriptor of each of these codes that has one."""
    wanted = set(codes)
    if clinic_id is None or not wanted:
        return {}
    rows = CodeDescriptor.objects.filter(clinic_id=clinic_id, code__in=wanted).values_list("code", "descriptor")
    return dict(rows)
