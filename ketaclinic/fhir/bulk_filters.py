"""``_typeFilter`` for a Bulk Data export (FHIR Bulk Data Access IG v2): each filter is a FHIR search query for one
resource type (``Observation?category=vital-signs``), applied with the same search machinery as
``GET /fhir/r4/<Type>?…`` (``registry.filtered``, source by source).

- The parameter repeats, and one value may hold several queries separated by commas (a comma inside a query's own
  value, ``code=a,b``, should be percent-encoded as the IG asks; a piece that does not start with ``<Type>?`` is
  read as the rest of the previous query, so an unencoded one still means what it says).
- Several filters for one type combine with OR; a type without a filter exports all its rows.
- Checked at kick-off (400, nothing written): the type must be one this server serves and one the export includes
  (one named in ``_type`` when it is given), every parameter one that type's search knows, ``_id`` the only
  ``_``-parameter (no ``_include``, ``_revinclude``, ``_count``, ``_sort`` …: a filter selects rows, nothing else),
  and every value one its search accepts (the filter is built once for each source, as a search would).

The filters are stored on the job (``ExportJob.type_filters``: type → query strings) and read by the worker
(``queries``), so a job taken over after a worker restart applies the same filters.
"""

from __future__ import annotations

import re

from django.http import QueryDict

from ketaclinic.accounts.models import User
from ketaclinic.fhir import registry
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.search import check_params

_QUERY_START = re.compile(r"^[A-Z][A-Za-z]+\?")
#: The only ``_``-parameter a filter may carry: the rest shape a search's answer (paging, includes), not its rows.
FILTER_SPECIALS = frozenset({"_id"})


def _pieces(values: list[str]) -> list[str]:
    pieces: list[str] = []
    for value in values:
        for part in value.split(","):
            if pieces and not _QUERY_START.match(part.strip()):
                pieces[-1] += f",{part}"  # a comma inside the query's own value
            else:
                pieces.append(part.strip())
    return [piece for piece in pieces if piece]


def parse(values: list[str], types: list[str], *, named: bool, user: User) -> dict[str, list[str]]:
    """The ``_typeFilter`` values as ``{type: [query string, …]}``, checked; a 400 otherwise."""
    if values and not _pieces(values):
        raise FhirError(400, "invalid", "_typeFilter is empty: give a search query, e.g. Observation?category=survey.")
    found: dict[str, list[str]] = {}
    for piece in _pieces(values):
        name, mark, query_text = piece.partition("?")
        if not mark or not query_text.strip():
            raise FhirError(
                400,
                "invalid",
                f"_typeFilter={piece}: expected <Type>?<search query>, e.g. Observation?category=survey.",
            )
        rt = registry.resource_type(name)  # 400 for an unknown type
        if name not in types:
            where = "named in _type" if named else "exported here (see the CapabilityStatement's $export)"
            raise FhirError(400, "invalid", f"_typeFilter={piece}: {name} is not a type {where}.")
        query = QueryDict(query_text)
        check(rt, query, piece, user)
        wanted = query.urlencode()
        if wanted not in found.setdefault(name, []):
            found[name].append(wanted)
    return found


def check(rt: registry.ResourceType, query: QueryDict, piece: str, user: User) -> None:
    """A 400 unless ``query`` is a search of ``rt`` that selects rows (its values checked by building it)."""
    for param in query:
        if param.startswith("_") and param not in FILTER_SPECIALS:
            raise FhirError(
                400,
                "not-supported",
                f"_typeFilter={piece}: {param} is not allowed in a filter (it selects rows; only search parameters "
                "and _id are).",
            )
    check_params(query, rt.params, rt.name)
    for source in rt.sources:
        registry.filtered(source, user, query)  # a bad value (a date, a reference) is a 400 here, as in a search


def queries(type_filters: dict[str, list[str]], type_name: str) -> list[QueryDict]:
    """The stored filters of one type, ready for ``registry.filtered`` (empty: export all its rows)."""
    return [QueryDict(text) for text in type_filters.get(type_name, [])]
