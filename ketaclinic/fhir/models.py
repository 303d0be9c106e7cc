"""Bulk Data export jobs (FHIR Bulk Data Access IG, ``$export``): one row per kick-off request.

The request only writes a queued row; ``ketaclinic manage run_fhir_exports`` (one of the ``ketaclinic jobs``, safe on
several machines) claims it, writes one NDJSON file per resource type under ``KETACLINIC_FHIR_EXPORT_DIR/<id>/`` and
records the manifest's outputs here. ``purge_fhir_exports`` deletes the files once the clinic's retention window has
passed and marks the row expired; the row itself stays (who exported what, and when, is also in the audit log).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.models import ApiToken, Location


class ExportJob(models.Model):
    class Level(models.TextChoices):
        SYSTEM = "system", "System ($export)"
        PATIENT = "patient", "Patient (Patient/$export)"
        GROUP = "group", "Group (Group/<id>/$export)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired (files deleted)"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    #: Random, so a status or file URL names nothing guessable (access is still checked on every request).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: The API token that asked: one export at a time per token (the constraint below; a second one is a 429).
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    #: A Group-level export: the location whose patients (the Group ``location-<pk>``) it holds.
    group_location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="Group/<id>/$export: the location whose patients the export holds.",
    )
    types = models.JSONField(help_text="The resource types to export, in order.")
    since = models.DateTimeField(null=True, blank=True, help_text="_since: only rows changed after this instant.")
    #: ``_typeFilter``: ``{"Observation": ["category=vital-signs", …]}``, each a search query string for that type
    #: (a row matching any of its type's queries is exported; a type not named here exports all its rows).
    type_filters = models.JSONField(default=dict, blank=True, help_text="_typeFilter: search queries per type.")
    request_url = models.TextField(help_text="The kick-off request's URL (the manifest's `request`).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True, help_text="Why the export failed (no patient data).")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    #: The worker writes it while it runs; a running job whose heartbeat stopped is taken over by another worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The manifest's ``transactionTime``: when the worker started reading (a later ``_since`` starts here).
    transaction_time = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid of the worker that ran it.")
    patient_count = models.PositiveIntegerField(null=True, blank=True)
    #: ``[{"type": "Patient", "file": "Patient.ndjson", "count": 12}, …]``; ``errors`` the same for OperationOutcome.
    output = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    #: With ``_since`` only: the manifest's ``deleted`` files (Bundles of DELETE requests), ``[{"type": "Bundle",
    #: "file": "deleted-Observation.ndjson", "count": 3}, …]``.
    deleted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["token"],
                condition=Q(status__in=["queued", "running"]),
                name="fhir_one_active_export_per_token",
            ),
            # A Group-level export names its location; no other export does.
            models.CheckConstraint(
                condition=Q(level="group", group_location__isnull=False)
                | (~Q(level="group") & Q(group_location__isnull=True)),
                name="fhir_export_group_has_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} export {self.id} ({self.status})"
