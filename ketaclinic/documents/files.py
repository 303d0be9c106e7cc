"""The files the clinic keeps (signed consent PDFs, scans of paper consents, documents on the chart uploaded by staff
or by patients in the portal): in the data directory, outside the web root, under random names, created readable by
the owner only (security.md H10), read back only through the access-checked download views. The database row holds
the name and the SHA-256; the file is never overwritten or deleted.

The lowest layer (beside the PDF module): it knows bytes and names, never a patient or a user."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings

PRIVATE_FILE_MODE = 0o600

# The first bytes of each accepted scan type: the content is checked, never the file's name.
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def documents_dir() -> Path:
    folder = Path(settings.KETACLINIC_DOCUMENTS_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def sniff(content: bytes) -> str | None:
    """The content type the bytes start with (PDF, JPEG or PNG), or None for anything else."""
    return next((kind for magic, kind in MAGIC if content.startswith(magic)), None)


def too_big(content: bytes, limit_mb: int) -> bool:
    return len(content) > limit_mb * 1024 * 1024


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def store(content: bytes, *, extension: str) -> str:
    """Write ``content`` to a new file with a random 192-bit name; returns the name (no folder)."""
    name = f"{secrets.token_urlsafe(24)}.{extension}"
    path = documents_dir() / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return name


def discard(name: str) -> None:
    """Remove a file written for a write that was then refused (nothing was recorded that points at it)."""
    (documents_dir() / name).unlink(missing_ok=True)


def read(name: str) -> bytes:
    return (documents_dir() / Path(name).name).read_bytes()
