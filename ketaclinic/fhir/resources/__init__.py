"""Pure mappings from one row to one FHIR R4 resource (a dict ready for JSON), one module per concept."""
