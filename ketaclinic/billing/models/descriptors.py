"""The clinic's licensed code descriptors: the long text of a CPT code, loaded from the file a clinic licenses.

The AMA owns the CPT descriptors; this software never ships them and shows its own short labels
(``domain.billing.codes``). A clinic that licenses the descriptor file may load it (``ketaclinic billing
load-descriptors FILE``); its text is then shown under our label, marked as coming from the clinic's licensed file. A
load replaces the clinic's previous rows: a descriptor is reference text, not clinical or financial data; each load is
audited with the file's name and the count.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic


class CodeDescriptor(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="code_descriptors")
    code = models.CharField(max_length=5)
    descriptor = models.TextField()
    source_file_name = models.CharField(max_length=255)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clinic", "code"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="code_descriptor_once_per_clinic")]

    def __str__(self) -> str:
        return f"Descriptor of {self.code}"
