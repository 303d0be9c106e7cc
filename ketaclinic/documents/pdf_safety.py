"""Active content in an uploaded PDF: what could run or reach out when someone at the clinic opens the file.

A referral letter, a lab report or an insurance card arrives as a PDF from a patient's phone, a referrer's fax
server or a portal upload. Such a file is served back only as an attachment with ``nosniff`` (security.md H10), but a
PDF viewer still runs what the file asks for when staff open it. The PDF standard (ISO 32000-1:2008 §12.6 "Actions",
§12.6.4.16 JavaScript actions, §7.11.4 embedded file streams, §12.7.8 XFA forms) names the parts that run code,
start programs, send data out or carry other files; a clinical document needs none of them, so an upload holding any
is refused with what to do instead (print it to a new PDF, or scan the paper). Encrypted files cannot be inspected and
are refused too; a file whose structure cannot be read is refused as damaged.

The check walks every object reachable from the file's trailer (the objects a viewer can reach), each once, with a
ceiling on the number of objects so a hostile file cannot make it run for long. pypdf does the parsing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

#: Dictionary keys whose presence means active content (ISO 32000-1 §12.6.3 trigger events, §12.6.4.16, §7.11.4,
#: §12.7.8; /RichMedia is Adobe's extension level 3 for Flash and video).
ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFile": "embedded files",
    "/EmbeddedFiles": "embedded files",
    "/XFA": "an XFA form (scripts)",
    "/RichMedia": "embedded media",
}
#: Action types (the /S of an action dictionary, ISO 32000-1 Table 198) that run code, start programs, send data or
#: open other files. Links to a page of the same file (/GoTo) and web addresses (/URI) are ordinary and allowed.
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program",
    "/SubmitForm": "a form that sends data out",
    "/ImportData": "an action that imports data",
    "/GoToE": "an action that opens an embedded file",
    "/GoToR": "an action that opens another file",
    "/RichMediaExecute": "embedded media",
    "/Rendition": "embedded media",
}
#: Enough for a long scanned record (a page is a handful of objects); a file past it is refused as too complex.
MAX_OBJECTS = 200_000

ENCRYPTED = "a password (it cannot be checked)"
DAMAGED = "a damaged structure (it could not be read)"
TOO_COMPLEX = f"more than {MAX_OBJECTS:,} objects"
UNCHECKABLE = (ENCRYPTED, DAMAGED, TOO_COMPLEX)


@dataclass(frozen=True)
class PdfCheck:
    """What stops a PDF being accepted: empty when it is safe to keep."""

    problems: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """The refusal, in words for the person uploading."""
        instead = "Print it to a new PDF (“Save as PDF” or “Print to PDF”), or scan the paper, and upload that."
        active = [problem for problem in self.problems if problem not in UNCHECKABLE]
        if active:
            return (
                f"This PDF contains {', '.join(active)}, which the clinic does not accept: such a file could run or "
                f"send something when it is opened. {instead}"
            )
        return f"This PDF cannot be checked: it has {', '.join(self.problems)}. {instead}"


def check_pdf(content: bytes) -> PdfCheck:
    """Inspect ``content`` (the bytes of a file that starts with ``%PDF-``) for active content."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            return PdfCheck((ENCRYPTED,))
        return PdfCheck(tuple(sorted(_active_content(reader))))
    except _TooComplex:
        return PdfCheck((TOO_COMPLEX,))
    except Exception:  # pypdf raises many kinds of error on a malformed file; each means "cannot be read"
        logger.info("An uploaded PDF could not be parsed", exc_info=True)
        return PdfCheck((DAMAGED,))


class _TooComplex(Exception):
    pass


def _opens_without_password(reader: PdfReader) -> bool:
    """A file with only an owner password (printing or copying restricted) opens with the empty user password."""
    return bool(reader.decrypt(""))


def _active_content(reader: PdfReader) -> set[str]:
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation)
            if reference in seen:
                continue
            seen.add(reference)
            item = item.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise _TooComplex
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    found.add(ACTIVE_KEYS[key])
                if key == "/S" and isinstance(value, NameObject) and value in ACTIVE_ACTIONS:
                    found.add(ACTIVE_ACTIONS[value])
                if key != "/Encrypt":
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found
