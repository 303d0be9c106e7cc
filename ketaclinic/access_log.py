"""gunicorn's access log without personal data or secrets (issue 13, defect 8).

gunicorn's default access line holds the request line (``"GET /patients/?q=Smith HTTP/1.1"``: a staff member's search
for a name or a date of birth), the Referer (the same, from the page before) and, for a patient's questionnaire link,
the token in ``/q/<token>/``. Custom formats can also reach every header and WSGI variable (``%({cookie}i)s``,
``%({http_authorization}e)s``). ``RedactingLogger`` hands gunicorn's formatter atoms with query strings, tokens,
cookies and credentials redacted (knowledge/security.md H4 "never write passwords, tokens"; OWASP ASVS 5.0 V16.2.5).

Plug it in with gunicorn's ``logger_class`` setting, next to ``accesslog``::

    self.cfg.set("accesslog", "-")
    self.cfg.set("logger_class", "ketaclinic.access_log.RedactingLogger")

(or ``gunicorn --logger-class ketaclinic.access_log.RedactingLogger``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from ketaclinic.log_filters import REDACTED, redact_path, redact_url

# Request headers ("{name}i") and WSGI variables ("{name}e") that carry credentials: never logged.
SECRET_NAMES = frozenset(
    {
        "cookie",
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "idempotency-key",
        "x-csrftoken",
        "http_cookie",
        "http_authorization",
        "http_proxy_authorization",
        "http_x_api_key",
        "http_x_csrftoken",
    }
)
# Response headers ("{name}o") that carry a secret: the session and CSRF cookies.
SECRET_RESPONSE_NAMES = frozenset({"set-cookie"})
# Headers and variables that hold a URL or a request target: logged without query string or token.
URL_NAMES = frozenset({"referer", "http_referer", "raw_uri", "request_uri", "location", "hx-current-url"})
PATH_NAMES = frozenset({"path_info", "script_name"})
QUERY_NAMES = frozenset({"query_string"})


def redact_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's log atoms with query strings, questionnaire tokens, cookies and credentials redacted."""
    safe = dict(atoms)
    request_line = safe.get("r")
    if isinstance(request_line, str):
        method, _, rest = request_line.partition(" ")
        target, _, protocol = rest.rpartition(" ") if rest.count(" ") else (rest, "", "")
        safe["r"] = " ".join(part for part in (method, redact_url(target), protocol) if part)
    if isinstance(safe.get("U"), str):
        safe["U"] = redact_path(safe["U"])
    if safe.get("q"):
        safe["q"] = REDACTED
    if isinstance(safe.get("f"), str):
        safe["f"] = redact_url(safe["f"])
    for key, value in atoms.items():
        if not (key.startswith("{") and key[-2:] in ("}i", "}e", "}o")) or not isinstance(value, str):
            continue
        name, kind = key[1:-2].lower(), key[-1]
        if name in (SECRET_RESPONSE_NAMES if kind == "o" else SECRET_NAMES):
            safe[key] = REDACTED
        elif name in URL_NAMES:
            safe[key] = redact_url(value)
        elif name in PATH_NAMES:
            safe[key] = redact_path(value)
        elif name in QUERY_NAMES and value:
            safe[key] = REDACTED
    return safe


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's logger, with every access-log atom redacted by ``redact_atoms``."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        return redact_atoms(super().atoms(resp, req, environ, request_time))
