"""The shapes behind the registry — a resource type, the tables (sources) it is read from — and the search filters
the types share (by patient, by date, fixed codes), plus id lookup and filtering for the views.

A resource type is read from one or more *sources*: Observation comes from session vital-sign readings (one source
per vital sign), body measurements and rating-scale totals. Paging runs over the sources one after another, each in
a stable order, so a client that follows ``next`` links sees every row once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from ketaclinic.accounts.models import User
from ketaclinic.fhir.search import date_lookups, reference_id, token
from ketaclinic.patients.queries import patients_visible_to

Filter = Callable[[QuerySet[Any], list[str]], QuerySet[Any] | None]


@dataclass(frozen=True)
class Source:
    """One table behind a resource type. ``id_prefix`` is empty when the type has a single source (ids are the
    row's primary key) and names the source otherwise (``bp-12``). At most one source of a type has none: the one
    whose plain ids were served before the type gained another source (MedicationAdministration: the ketamine given
    is ``<session id>``, a rescue drug ``rescue-<id>``)."""

    rows: Callable[[User], QuerySet[Any]]
    to_fhir: Callable[[Any], dict[str, Any]]
    #: The patient a row belongs to (audited with the read); None for the clinic's directory (Practitioner …).
    patient_id: Callable[[Any], int | None]
    filters: Mapping[str, Filter]
    id_prefix: str = ""
    order: tuple[str, ...] = ("pk",)
    #: For a bulk export only: every resource one row gives (several sources' resources in one pass over a table,
    #: ``ResourceType.export_sources``); None: the row gives ``to_fhir(row)``.
    fan_out: Callable[[Any], list[dict[str, Any]]] | None = None
    #: Narrows the rows for a Patient-level export when some rows belong to no patient the token sees (a consultation
    #: request not yet linked to a chart); None when every row is a patient's.
    compartment: Callable[[QuerySet[Any], User], QuerySet[Any]] | None = None


@dataclass(frozen=True)
class Catalogue:
    """Resources built from code rather than rows (the Questionnaires of the rating scales): the same for every
    reader, no patient data. ``filters`` say whether one resource matches a search parameter's values."""

    resources: Callable[[], list[dict[str, Any]]]
    filters: Mapping[str, Callable[[dict[str, Any], list[str]], bool]] = field(default_factory=dict)


@dataclass(frozen=True)
class Computed:
    """Resources worked out per request for the reader (free calendar Slots): ``search`` answers the matches in order
    (refusing, with a FhirError, a search it cannot answer), ``read`` one by id or None."""

    search: Callable[[User, QueryDict], list[dict[str, Any]]]
    read: Callable[[User, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Include:
    """``_include=<Type>:<param>``: the resources of type ``target`` a matched resource points at (``references``
    returns the ``Type/id`` strings found in it; those of another type are skipped)."""

    target: str
    references: Callable[[dict[str, Any]], list[str]]


@dataclass(frozen=True)
class RevInclude:
    """``_revinclude=<source>:<param>``: the resources of type ``source`` whose search parameter ``param`` names a
    matched resource (``Provenance:target``: the Provenance of each match), found with that type's own search."""

    source: str
    param: str


#: US Core: every type that has Provenance takes ``_revinclude=Provenance:target``.
PROVENANCE_TARGET = {"Provenance:target": RevInclude("Provenance", "target")}


@dataclass(frozen=True)
class ResourceType:
    name: str
    capability: str
    params: Mapping[str, tuple[str, str]]  # name → (FHIR search param type, what it matches)
    sources: tuple[Source, ...] = field(default_factory=tuple)
    profile: str | None = None
    #: Its resources carry ``meta.versionId`` (and reads an ``ETag``): the row keeps a version counter.
    versioned: bool = False
    catalogue: Catalogue | None = None
    computed: Computed | None = None
    #: ``_include`` values this type supports ("Encounter:practitioner" → what it includes).
    includes: Mapping[str, Include] = field(default_factory=dict)
    #: ``_revinclude`` values this type supports ("Provenance:target" → what it adds).
    revincludes: Mapping[str, RevInclude] = field(default_factory=dict)
    #: What a bulk export reads instead of ``sources`` when it is cheaper: the same resources in fewer passes over
    #: the tables (every item of a score with its total, from one read of the score). Empty: ``sources``.
    export_sources: tuple[Source, ...] = field(default_factory=tuple)

    def sources_for_export(self) -> tuple[Source, ...]:
        return self.export_sources or self.sources


def references_at(*paths: str) -> Callable[[dict[str, Any]], list[str]]:
    """The ``reference`` strings at dotted ``paths`` of a resource, through lists (``participant.individual``)."""

    def find(resource: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for path in paths:
            nodes: list[Any] = [resource]
            for key in path.split("."):
                nodes = [n for node in nodes for n in _listed(node.get(key) if isinstance(node, dict) else None)]
            found += [node["reference"] for node in nodes if isinstance(node, dict) and "reference" in node]
        return found

    return find


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


PATIENT_PARAM = ("reference", "The patient (Patient/<id>)")


def by_patient(path: str) -> Filter:
    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:
            ids = [reference_id(part, "Patient", "patient") for part in value.split(",")]
            rows = rows.filter(**{f"{path}__in": ids})
        return rows

    apply.patient_path = path  # type: ignore[attr-defined]  # a Group-level export narrows by it (registry.groups)
    return apply


def by_date(path: str, *, as_date: bool = False, name: str = "date") -> Filter:
    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:
            rows = rows.filter(**date_lookups(path, value, name, as_date=as_date))
        return rows

    return apply


def fixed_tokens(system: str, codes: tuple[str, ...]) -> Filter:
    """A source whose rows all carry the same code(s): it matches a token or it is left out entirely."""

    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
        return rows if rules_in(values) else None

    def rules_in(values: list[str]) -> bool:
        # repeats are AND; commas within one are OR
        return all(any(_matches(part, system, codes) for part in value.split(",")) for value in values)

    apply.rules_in = rules_in  # type: ignore[attr-defined]  # checked by ``filtered`` before any rows are built
    return apply


def _matches(value: str, system: str, codes: tuple[str, ...]) -> bool:
    wanted_system, code = token(value)
    return code in codes and wanted_system in (None, system)


def chart_rows(model: type[Any]) -> Callable[[User], QuerySet[Any]]:
    def rows(user: User) -> QuerySet[Any]:
        found: QuerySet[Any] = model.objects.filter(patient__in=patients_visible_to(user), entered_in_error=False)
        return found

    return rows


def chart_source(model: type[Any], to_fhir: Callable[[Any], dict[str, Any]]) -> Source:
    return Source(
        rows=chart_rows(model),
        to_fhir=to_fhir,
        patient_id=lambda row: row.patient_id,
        filters={"patient": by_patient("patient_id")},
    )


def source_for_id(rt: ResourceType, resource_id: str) -> tuple[Source, int] | None:
    """The source and primary key an id names, or None when it names none (a 404)."""
    for source in rt.sources:
        if source.id_prefix:
            prefix, _, pk = resource_id.rpartition("-")
            if prefix == source.id_prefix and pk.isdigit():
                return source, int(pk)
        elif resource_id.isdigit():
            return source, int(resource_id)
    return None


def filtered(source: Source, user: User, query: QueryDict) -> QuerySet[Any] | None:
    """The source's rows the search asks for, or None when the source cannot match (another code or category)."""
    for name, apply in source.filters.items():
        # A fixed code or category rules a source out before its rows are built (building a query costs ~2 ms,
        # and Observation?code= would otherwise build all eleven sources to use one).
        rules_in = getattr(apply, "rules_in", None)
        values = query.getlist(name)
        if rules_in is not None and values and not rules_in(values):
            return None
    rows: QuerySet[Any] | None = source.rows(user)
    ids = query.getlist("_id")
    if ids:
        wanted: list[int] = []
        for value in ids:
            for part in value.split(","):
                found = _own_pk(source, part)
                if found is not None:
                    wanted.append(found)
        if not wanted:
            return None
        rows = rows.filter(pk__in=wanted)  # type: ignore[union-attr]
    for name, apply in source.filters.items():
        values = query.getlist(name)
        if values and rows is not None:
            rows = apply(rows, values)
    return rows.order_by(*source.order) if rows is not None else None


def _own_pk(source: Source, resource_id: str) -> int | None:
    if source.id_prefix:
        prefix, _, pk = resource_id.rpartition("-")
        return int(pk) if prefix == source.id_prefix and pk.isdigit() else None
    return int(resource_id) if resource_id.isdigit() else None
