"""Bulk Data export, the writing side: which rows go into which NDJSON file, and writing one file.

A job is planned as **parts**, one file each (``plan``). A type's sources go into one file, except a source with more
than ``PART_ROWS`` rows: it is split by primary-key range into files of about ``PART_ROWS`` rows, so the writer
processes share even the largest type (the Bulk Data IG lets a server write several files per type:
``Observation-1.ndjson``, ``Observation-2.ndjson`` …; a type written in one file keeps ``Observation.ndjson``).

Constant memory: rows come from the database in windows of ``CHUNK`` primary keys (``in_chunks``), each is mapped by
the same function search uses (or, for a source that reads a row once for several of search's sources, its
``fan_out``), written as lines and dropped. The rows are the requesting user's access-scoped rows
(``registry.Source.rows(user)``): an export holds exactly what that user's searches would find. A file is written as
``<name>.part`` and renamed when complete, so a download never sees half a file.

A row its mapping cannot turn into a resource does not sink the export: an OperationOutcome line naming it (type and
id, no patient data) goes to ``OperationOutcome-<file>.ndjson``, listed under the manifest's ``error``.

A type with ``_typeFilter`` queries (``ketaclinic.fhir.bulk_filters``) is read from its search sources, each narrowed
by ``registry.filtered`` exactly as a search with that query (a row matching any of the queries): not from its
``export_sources``, whose one pass writes every item of a score with its total, where a filter may want only some.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import operator
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import orjson
from django.db.models import Max, Min, Model, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.fhir import bulk_filters, raw_rows, registry
from ketaclinic.fhir.bulk import CHANGED_AT
from ketaclinic.fhir.models import ExportJob
from ketaclinic.fhir.registry.groups import members_only
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Patient

logger = logging.getLogger(__name__)

#: Primary keys per query window (``in_chunks``): few enough queries, and a window of rows is a few MB at most.
CHUNK = 20_000
#: A source with more rows is written as several files (by key range) that the writer processes share.
PART_ROWS = 200_000
#: How much more a row of a ``fan_out`` source costs to write than a row of an ordinary one (a score gives its total
#: and ~6.5 items): used only to start the largest parts first, so the processes finish together.
FAN_OUT_WEIGHT = 4
HEARTBEAT_S = 5.0
#: A type's rows that could not be mapped: ``OperationOutcome-<file>``, listed under the manifest's ``error``.
ERRORS_PREFIX = "OperationOutcome-"
_Status = ExportJob.Status
#: The joins an export keeps. The apps' ``*_visible_to`` queries join what their pages show (a session's patient,
#: location, order, plan and nurses; a patient's location and clinician): seven objects built per session row that
#: the mappings never read. An export keeps only what its mapping reads (tests/fhir/test_fhir_bulk.py checks that
#: the number of queries does not grow with the rows).
EXPORT_JOINS: dict[type[Model], tuple[str, ...]] = {TreatmentSession: (), Patient: ()}
#: The columns the mapping of a large table reads, by (resource type, table): those rows reach the mapping as light
#: records (the primary key and these columns, ``SimpleNamespace``) instead of model instances, which cost more to
#: build than the mapping itself (a session has ~60 columns, a score its JSON answers, flags and subscales). The same
#: mapping, the same values; tests/fhir/test_fhir_bulk.py checks an exported resource equals the one a read returns.
EXPORT_COLUMNS: dict[tuple[str, type[Model]], tuple[str, ...]] = {
    # Totals and items (an item reads its answer): one column set for both sources of this table.
    ("Observation", Measurement): ("patient_id", "instrument", "total", "band", "answers", "taken_at", "recorded_at"),
    ("QuestionnaireResponse", Measurement): ("patient_id", "instrument", "answers", "taken_at", "recorded_at"),
    ("Encounter", TreatmentSession): (
        "patient_id",
        "status",
        "route",
        "checked_in_at",
        "discharged_at",
        "version",
        "appointment_id",
        "location_id",
        "checked_in_by_id",
        "started_by_id",
        "discharged_by_id",
        "note_signed_by_id",
    ),
    # Who did what in a session, and its clinic (annotated by the Provenance source's rows).
    ("Provenance", TreatmentSession): (
        "patient_id",
        "checked_in_by_id",
        "started_by_id",
        "discharged_by_id",
        "started_at",
        "note_signed_by_id",
        "note_signed_at",
        "updated_at",
        "owning_clinic_id",
    ),
    ("DocumentReference", TreatmentSession): (
        "patient_id",
        "route",
        "checked_in_at",
        "note_signed_at",
        "note_signed_by_id",
        "note_text",
    ),
    ("MedicationAdministration", TreatmentSession): (
        "patient_id",
        "status",
        "route",
        "started_at",
        "infusion_ended_at",
        "dose_delivered_mg",
        "version",
        "product_ndc",  # annotated by registry.treatment.with_product_ndc
    ),
}


class Stopped(Exception):
    """The job was cancelled (or taken over) while this worker ran it."""


def private_file(path: Path) -> IO[bytes]:
    """A new file only its owner may read (0600 from the start: the files are copies of chart data)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb", buffering=1 << 20)


def sources_of(type_name: str, filters: Sequence[QueryDict]) -> tuple[registry.Source, ...]:
    """The sources a type is exported from: its search sources when it is filtered (see the module's notes)."""
    rt = registry.RESOURCE_TYPES[type_name]
    return rt.sources if filters else rt.sources_for_export()


def export_rows(
    source: registry.Source,
    user: User,
    since: dt.datetime | None,
    level: str = ExportJob.Level.SYSTEM,
    filters: Sequence[QueryDict] = (),
    group: int | None = None,
) -> QuerySet[Any] | None:
    """The source's rows for this user (as search sees them), changed after ``since`` where the table keeps a change
    time, in primary-key order (the cheapest stable order on a large table). A Patient-level export keeps only the
    rows of the token's patients where a source also has others (``Source.compartment``); a Group-level one only the
    rows of the group's members (``group``: its location; ``registry.groups.members_only``). With ``filters``
    (``_typeFilter``): the rows any of those searches finds, or None when none of them can match this source."""
    rows = _filtered(source, user, filters) if filters else source.rows(user)
    if rows is None:
        return None
    if level == ExportJob.Level.PATIENT and source.compartment is not None:
        rows = source.compartment(rows, user)
    if level == ExportJob.Level.GROUP:
        assert group is not None, "a Group-level export names its group"
        rows = members_only(source, rows, user, group)
    column = CHANGED_AT.get(rows.model)
    if since is not None and column is not None:
        rows = rows.filter(**{f"{column}__gt": since})
    if rows.model in EXPORT_JOINS:
        rows = rows.select_related(None)
        if EXPORT_JOINS[rows.model]:
            rows = rows.select_related(*EXPORT_JOINS[rows.model])
    return rows.order_by("pk")


def _filtered(source: registry.Source, user: User, filters: Sequence[QueryDict]) -> QuerySet[Any] | None:
    matches = [found for found in (registry.filtered(source, user, query) for query in filters) if found is not None]
    if len(matches) <= 1:
        return matches[0] if matches else None
    # OR of the searches: each keeps its own joins in a subquery of keys (the outer query stays one table's rows).
    either = functools.reduce(operator.or_, (Q(pk__in=found.order_by().values("pk")) for found in matches))
    return source.rows(user).filter(either)


# --- planning ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One file of a job: some of a type's export sources (indexes into ``sources_for_export()``), or one key range
    ``(after, up_to]`` of a single large source."""

    type_name: str
    number: int  # 0: the type's only file
    sources: tuple[int, ...]
    keys: tuple[int, int] | None
    weight: int  # rows, fan-out rows counted ``FAN_OUT_WEIGHT`` times: the larger parts start first

    @property
    def file_name(self) -> str:
        return f"{self.type_name}.ndjson" if self.number == 0 else f"{self.type_name}-{self.number}.ndjson"


def plan(
    types: list[str],
    user: User,
    since: dt.datetime | None,
    level: str,
    type_filters: dict[str, list[str]] | None = None,
    group: int | None = None,
) -> list[Part]:
    """The job's files, in the order of ``types`` (a type with no rows gets none, as the IG asks)."""
    parts: list[Part] = []
    for name in types:
        pieces: list[tuple[tuple[int, ...], tuple[int, int] | None, int]] = []
        small: list[int] = []
        small_weight = 0
        filters = bulk_filters.queries(type_filters or {}, name)
        for index, source in enumerate(sources_of(name, filters)):
            rows = export_rows(source, user, since, level, filters, group)
            if rows is None:
                continue
            count = rows.count()
            weight = count * (FAN_OUT_WEIGHT if source.fan_out else 1)
            if count > PART_ROWS:
                ranges = _ranges(rows, count)
                pieces += [((index,), keys, weight // len(ranges)) for keys in ranges]
            elif count:
                small.append(index)
                small_weight += weight
        if small:
            pieces.insert(0, (tuple(small), None, small_weight))
        numbered = len(pieces) > 1
        parts += [
            Part(name, number if numbered else 0, sources, keys, weight)
            for number, (sources, keys, weight) in enumerate(pieces, start=1)
        ]
    return parts


def _bounds(rows: QuerySet[Any]) -> tuple[int, int]:
    found = rows.order_by().aggregate(low=Min("pk"), high=Max("pk"))
    return found["low"] - 1, found["high"]


def _ranges(rows: QuerySet[Any], count: int) -> list[tuple[int, int]]:
    """``(after, up_to]`` key ranges of about ``PART_ROWS`` rows each (even steps of the key: keys are dense)."""
    low, high = _bounds(rows)
    pieces = math.ceil(count / PART_ROWS)
    step = math.ceil((high - low) / pieces)
    return [(start, min(start + step, high)) for start in range(low, high, step)]


# --- writing ----------------------------------------------------------------------------------------------------------


def source_rows(
    source: registry.Source,
    user: User,
    part: Part,
    since: dt.datetime | None,
    level: str,
    filters: Sequence[QueryDict] = (),
    group: int | None = None,
) -> Iterator[Any]:
    """What the mapping gets: model instances, or light records for the large tables of ``EXPORT_COLUMNS``."""
    rows = export_rows(source, user, since, level, filters, group)
    if rows is None:
        return iter(())
    type_name, keys = part.type_name, part.keys
    columns = EXPORT_COLUMNS.get((type_name, rows.model))
    if not columns:
        return in_chunks(rows, keys)
    query = rows.values_list("pk", *columns)
    how = raw_rows.plan(query)
    if how is None:  # a column Django must convert
        names = ("pk", *columns)
        return (SimpleNamespace(**dict(zip(names, values, strict=True))) for values in in_chunks(query, keys))
    return (
        SimpleNamespace(**dict(zip(how.names, values, strict=True)))
        for window in windows(query, keys)
        for values in raw_rows.fetch(window, how)
    )


def in_chunks(rows: QuerySet[Any], keys: tuple[int, int] | None = None) -> Iterator[Any]:
    """The rows, read window by window (``windows``)."""
    for window in windows(rows, keys):
        yield from list(window)


def windows(rows: QuerySet[Any], keys: tuple[int, int] | None = None) -> Iterator[QuerySet[Any]]:
    """The rows as windows of ``CHUNK`` primary keys (``low < pk <= low + CHUNK``), each window its own short query;
    only those in ``keys`` (``(after, up_to]``) when given.

    Not one long-lived cursor: on SQLite a connection that holds a read snapshot open cannot write once anyone else
    has written (the heartbeat would fail with "database is locked" while the clinic works), and on PostgreSQL a
    cursor outside a transaction is materialised on the server first. Not ``pk > last … LIMIT`` either: SQLite
    answers the access filter (``patient_id IN (the user's patients)``) through the patient index, so each such page
    gathered and sorted every later row (a 1,000,000-row table took minutes); a closed window costs one probe per
    patient and its own rows. Memory stays one window."""
    if keys is None:
        bounds = rows.model._base_manager.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            return
        keys = (bounds["low"] - 1, bounds["high"])
    start, end = keys
    while start < end:
        stop = min(start + CHUNK, end)
        yield rows.filter(pk__gt=start, pk__lte=stop)
        start = stop


@dataclass
class PartWriter:
    """Writes parts (one file each) in this process, beating the job's heartbeat as it goes."""

    job: ExportJob
    worker: str
    directory: Path
    patients: set[int] = field(default_factory=set)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    last_beat: float = field(default_factory=time.monotonic)

    def write_part(self, part: Part, user: User, since: dt.datetime | None) -> None:
        filters = bulk_filters.queries(self.job.type_filters, part.type_name)
        sources = sources_of(part.type_name, filters)
        name = part.file_name
        file = self.directory / f"{name}.part"
        count = 0
        started = time.monotonic()
        failures = _Failures(self.directory / f"{ERRORS_PREFIX}{name}", self.job.id)
        dumps = orjson.dumps
        newline = orjson.OPT_APPEND_NEWLINE
        try:
            with private_file(file) as out:
                for index in part.sources:
                    source = sources[index]
                    for row in source_rows(
                        source, user, part, since, self.job.level, filters, self.job.group_location_id
                    ):
                        try:
                            resources = source.fan_out(row) if source.fan_out else (source.to_fhir(row),)
                            lines = [dumps(resource, option=newline) for resource in resources]
                        except Exception as error:  # one bad row is reported, the export goes on
                            failures.add(part.type_name, source, row, error)
                            continue
                        out.writelines(lines)
                        before = count
                        count += len(lines)
                        patient = source.patient_id(row)
                        if patient is not None:
                            self.patients.add(patient)
                        if count // 2000 != before // 2000:
                            self.beat(f"{name}: {count:,} resources written")
        finally:
            if failures.close():
                self.errors.append({"type": "OperationOutcome", "file": failures.path.name, "count": failures.count})
        if count:
            file.rename(self.directory / name)
            self.outputs.append({"type": part.type_name, "file": name, "count": count})
        else:
            file.unlink()  # the IG: no resources, no file
        logger.info("FHIR export %s: %s, %d resources in %.1f s", self.job.id, name, count, time.monotonic() - started)
        self.beat(f"{name}: done ({count:,})", force=True)

    def beat(self, progress: str, *, force: bool = False) -> None:
        """Every few seconds: say how far it got, and stop if the job was cancelled or taken over."""
        now = time.monotonic()
        if not force and now - self.last_beat < HEARTBEAT_S:
            return
        self.last_beat = now
        alive = ExportJob.objects.filter(pk=self.job.pk, status=_Status.RUNNING, worker=self.worker).update(
            heartbeat_at=timezone.now(), progress=progress[:200]
        )
        if not alive:
            raise Stopped


class _Failures:
    """The OperationOutcome lines of one file's rows that could not be mapped (opened at the first one)."""

    def __init__(self, path: Path, job_id: Any) -> None:
        self.path = path
        self.job_id = job_id
        self.count = 0
        self.file: IO[bytes] | None = None

    def add(self, type_name: str, source: registry.Source, row: Any, error: Exception) -> None:
        logger.warning("FHIR export %s: %s %s not mapped: %s", self.job_id, type_name, row.pk, type(error).__name__)
        if self.file is None:
            self.file = private_file(self.path)
        row_id = f"{source.id_prefix}-{row.pk}" if source.id_prefix else str(row.pk)
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "exception",
                    "diagnostics": f"{type_name}/{row_id} could not be exported ({type(error).__name__}).",
                }
            ],
        }
        self.file.write(orjson.dumps(outcome, option=orjson.OPT_APPEND_NEWLINE))
        self.count += 1

    def close(self) -> bool:
        if self.file is not None:
            self.file.close()
        return self.count > 0
