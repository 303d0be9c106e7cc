"""FHIR R4 at ``/fhir/r4/`` (issue 20, CONTRACTS.md §9): read and search over the clinic's data, token only."""
