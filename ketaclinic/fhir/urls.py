"""``/fhir/r4/`` (mounted in ketaclinic/urls.py under the ``fhir`` namespace): token-only, like ``/api/v1/``."""

from django.urls import path, re_path

from ketaclinic.fhir import bulk_views, views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^Bundle/?$", views.referral, name="referral"),
    re_path(r"^Bundle/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.letter_bundle, name="letter_bundle"),
    re_path(r"^Composition/(?P<resource_id>[0-9]{1,18})/\$document$", views.letter_document, name="letter_document"),
    re_path(r"^Binary/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.binary, name="binary"),
    # Bulk Data export (ketaclinic/fhir/bulk_views.py): before the read pattern, which would take "_bulk/<id>".
    re_path(r"^\$export$", bulk_views.export_system, name="export"),
    re_path(r"^Patient/\$export$", bulk_views.export_patients, name="export-patients"),
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-.]{1,64})/\$export$", bulk_views.export_group, name="export-group"),
    re_path(r"^_bulk/(?P<job_id>[0-9a-f\-]{36})$", bulk_views.status, name="export-status"),
    re_path(
        r"^_bulk/(?P<job_id>[0-9a-f\-]{36})/(?P<file_name>[A-Za-z0-9\-]+\.ndjson)$",
        bulk_views.download,
        name="export-file",
    ),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/?$", views.search, name="search"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="read"),
    # Anything else (history, operations, system-level search, a malformed id) answers an OperationOutcome, not the
    # site's HTML 404 page.
    re_path(r"^.*$", views.unsupported, name="unsupported"),
]
