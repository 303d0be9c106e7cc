"""Bulk Data export with ``_since``: the manifest's ``deleted`` files (FHIR Bulk Data Access IG v2), the resources
a client that synced before ``_since`` holds and should remove.

Nothing clinical is ever deleted here: a wrong row is marked entered in error (``patients.models.EnteredInError``)
and most types' searches, hence their exports, leave such rows out. Those are this export's deletions: a source
whose rows are its table's rows *not* entered in error lists the rows marked entered in error after ``_since``
(``entered_in_error_at``), found with the very query the export uses (the user's access, a Patient-level export's
compartment, ``_typeFilter``) with its ``entered_in_error = False`` turned into ``True``. The ids are those the
export would have given (``Source.id_prefix``: ``score-12``; every item of a score, ``item3-12``, comes from its own
search source). A type that keeps entered-in-error rows visible with that status (DocumentReference: a withdrawn
note or letter is served as ``entered-in-error``) has no such condition in its query, so nothing of it is listed:
its changed status is in its own file. A table without ``entered_in_error_at`` cannot say when a row was withdrawn
and lists nothing (README).

One NDJSON file per type, ``Deleted-<Type>.ndjson``; each line is a transaction Bundle with one entry,
``request.method = DELETE`` and ``request.url = <Type>/<id>``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from ketaclinic.accounts.models import User
from ketaclinic.fhir import bulk_filters, registry
from ketaclinic.fhir.export_files import export_rows, private_file
from ketaclinic.fhir.models import ExportJob

FLAG = "entered_in_error"
WITHDRAWN_AT = "entered_in_error_at"
PREFIX = "Deleted-"


def withdrawn(rows: QuerySet[Any]) -> QuerySet[Any] | None:
    """The same query for the rows marked entered in error (its own ``entered_in_error = False`` made ``True``), or
    None when its table has no withdrawal time or the query does not leave such rows out."""
    meta = rows.model._meta
    try:
        flag = meta.get_field(FLAG)
        meta.get_field(WITHDRAWN_AT)
    except FieldDoesNotExist:
        return None
    flipped = rows.all()  # a clone: its WHERE tree is its own
    query = flipped.query
    if not _flip(query.where, flag, query.base_table):
        return None
    return flipped


def _flip(node: WhereNode, flag: Any, alias: str | None) -> bool:
    """Turn the top-level (AND-ed, not negated) ``<alias>.entered_in_error = False`` conditions into ``= True``."""
    if node.connector != AND or node.negated:
        return False
    flipped = False
    for index, child in enumerate(node.children):
        if isinstance(child, WhereNode):
            flipped = _flip(child, flag, alias) or flipped
        elif (
            isinstance(child, Exact)
            and isinstance(child.lhs, Col)
            and child.lhs.target == flag
            and child.lhs.alias == alias
            and child.rhs is False
        ):
            node.children[index] = Exact(child.lhs, True)  # type: ignore[call-overload]
            flipped = True
    return flipped


def deleted_ids(
    type_name: str,
    user: User,
    since: dt.datetime,
    level: str,
    type_filters: dict[str, Any],
    any_withdrawn: dict[type[Model], bool] | None = None,
    group: int | None = None,
) -> list[str]:
    """The ids of the type's resources withdrawn after ``since`` that this export would otherwise have held.
    ``any_withdrawn`` remembers, per table, whether it has any row withdrawn since: a table with none (the usual case)
    is asked once, not once per source (a score's table is behind 25 sources: the total, the answers, each item)."""
    filters = bulk_filters.queries(type_filters, type_name)
    seen = {} if any_withdrawn is None else any_withdrawn
    found: list[str] = []
    for source in registry.RESOURCE_TYPES[type_name].sources:
        keys: set[int] = set()
        model = source.rows(user).model
        if model not in seen:
            seen[model] = _has_withdrawals(model, since)
        if not seen[model]:
            continue
        # One query per filter: an OR of several keeps each in a subquery, whose own flag the swap would not reach.
        for wanted in [[query] for query in filters] or [[]]:
            rows = export_rows(source, user, None, level, wanted, group)
            gone = withdrawn(rows) if rows is not None else None
            if gone is not None:
                keys.update(gone.filter(**{f"{WITHDRAWN_AT}__gt": since}).values_list("pk", flat=True))
        found += [f"{source.id_prefix}-{pk}" if source.id_prefix else str(pk) for pk in sorted(keys)]
    return found


def _has_withdrawals(model: type[Model], since: dt.datetime) -> bool:
    fields = {f.name for f in model._meta.get_fields()}
    if FLAG not in fields or WITHDRAWN_AT not in fields:
        return False
    return bool(model._base_manager.filter(**{FLAG: True, f"{WITHDRAWN_AT}__gt": since}).exists())


def bundle(type_name: str, resource_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": f"{type_name}/{resource_id}"}}],
    }


def write(job: ExportJob, user: User, directory: Path) -> list[dict[str, Any]]:
    """The job's ``deleted`` files (none without ``_since``), as manifest entries ``{"type": "Bundle", "file",
    "count"}``; a type with nothing withdrawn gets no file."""
    if job.since is None:
        return []
    entries: list[dict[str, Any]] = []
    any_withdrawn: dict[type[Model], bool] = {}
    for type_name in job.types:
        ids = deleted_ids(type_name, user, job.since, job.level, job.type_filters, any_withdrawn, job.group_location_id)
        if not ids:
            continue
        name = f"{PREFIX}{type_name}.ndjson"
        with private_file(directory / f"{name}.part") as out:
            out.writelines(orjson.dumps(bundle(type_name, i), option=orjson.OPT_APPEND_NEWLINE) for i in ids)
        (directory / f"{name}.part").rename(directory / name)
        entries.append({"type": "Bundle", "file": name, "count": len(ids), "resource_type": type_name})
    return entries
