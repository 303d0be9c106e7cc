"""Response headers that keep patient data out of caches and shut off browser features (issue 13, defect 9a).

- ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for old HTTP/1.0 caches) on every response that may carry
  patient data: every response to a signed-in user (pages, htmx partials, CSV and printable exports), every ``/api/``
  and ``/fhir/`` response, the patient questionnaire pages under ``/q/`` and the patient portal under ``/portal/``,
  and any download (``Content-Disposition``) or CSV wherever it comes from. A shared or back-button cache must not
  keep a chart (OWASP ASVS 5.0 V14.3.2 "sensitive data is not cached in the browser: Cache-Control: no-store"; HIPAA
  45 CFR 164.312(a)(1); knowledge/security.md H9).
  Static files (``STATIC_URL``) keep their long-lived caching: they hold no patient data.
- ``Permissions-Policy`` on every response: ketaclinic uses no camera, microphone, location, payment, USB or other
  powerful browser feature, so none may be used by the page or anything injected into it (ASVS 5.0 V3.4 browser
  security headers; OWASP Secure Headers Project).

Placed right after Django's SecurityMiddleware, before WhiteNoise, so static responses get the policy header too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)
NO_STORE_PREFIXES = ("/api/", "/fhir/", "/q/", "/portal/")


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # set by AuthenticationMiddleware (absent for WhiteNoise's responses)
    return bool(user is not None and user.is_authenticated)


def must_not_be_stored(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether the response may hold patient data (see the module docstring)."""
    content_type = response.get("Content-Type", "")
    if "Content-Disposition" in response or content_type.startswith("text/csv"):
        return True
    if settings.STATIC_URL and request.path.startswith(str(settings.STATIC_URL)):
        return False
    return request.path.startswith(NO_STORE_PREFIXES) or _signed_in(request)


class PrivacyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if must_not_be_stored(request, response) and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
