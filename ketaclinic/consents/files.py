"""Kept so ``ketaclinic.consents.files`` still works: the file store now lives in ``ketaclinic.documents.files`` (the
lowest layer) so the chart's documents use the same one."""

from ketaclinic.documents.files import (
    EXTENSIONS,
    MAGIC,
    PRIVATE_FILE_MODE,
    discard,
    documents_dir,
    read,
    sha256,
    sniff,
    store,
)

__all__ = ["EXTENSIONS", "MAGIC", "PRIVATE_FILE_MODE", "discard", "documents_dir", "read", "sha256", "sniff", "store"]
