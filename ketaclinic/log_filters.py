"""Keep personal data and secrets out of the server's logs (issue 13, defect 8; defect 9d).

What a log line may not carry (knowledge/security.md H4: "never write passwords, tokens or full payloads"; OWASP ASVS
5.0 V16.2.5 "sensitive data is not logged", V16.5.1 "a generic message, no stack trace, for a refused request"):

- **query strings**: staff searches carry names and dates of birth (``/patients/?q=Smith``), other filters carry ids
  and dates. The query string is replaced by ``?[redacted]``, in the request line, the path and the referrer alike.
- **patient link tokens**: ``/q/<token>/`` (questionnaires), ``/a/<token>/`` (appointments) and ``/a/o/<token>/``
  (waiting-list offers) are live links; the token becomes ``[token]``.
- **tracebacks of refused requests**: Django logs a ``PermissionDenied`` (403) or a ``SuspiciousOperation`` (400)
  with the whole traceback. A client error is one line: the status and the redacted path.

``redact_url`` and ``redact_text`` are shared with the gunicorn access log (``ketaclinic.access_log``); the two
``logging.Filter`` classes are wired in ``settings.LOGGING`` (on Django's request loggers and the console handler).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"
LINK_PLACEHOLDER = "[token]"

# A questionnaire link's path segment (ketaclinic/outcomes/public_urls.py), except the fixed "thanks" page; an
# appointment link's (``/a/<token>/``) and a waiting-list offer's (``/a/o/<token>/``, tried first).
_TOKEN_PATH = re.compile(r"(?P<prefix>(?:^|/)(?:q|a/o|a)/)(?!thanks/|\[token\])[^/?#\s\"']+")
# A query string inside free text: "?" followed by anything up to white space or a quote.
_QUERY_IN_TEXT = re.compile(r"\?(?!\[redacted\])[^\s\"']+")


def redact_path(path: str) -> str:
    """The path with questionnaire tokens replaced (no query string expected)."""
    return _TOKEN_PATH.sub(lambda match: match["prefix"] + LINK_PLACEHOLDER, path)


def redact_url(url: str) -> str:
    """A path, request target or absolute URL without its query string, fragment or questionnaire token."""
    if not url or url == "-":
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL (e.g. a bad IPv6 host in a Referer header) is not worth keeping
        return REDACTED
    query = REDACTED if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path), query, ""))


def redact_text(text: str) -> str:
    """Free text (a log message, a request line "GET /x?y HTTP/1.1"): every query string and token redacted."""
    return redact_path(_QUERY_IN_TEXT.sub("?" + REDACTED, text))


class RedactUrlsFilter(logging.Filter):
    """Redact query strings and questionnaire tokens in a record's message and its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_text(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact_text(v) if isinstance(v, str) else v for key, v in record.args.items()}
        return True


class ClientErrorWithoutTracebackFilter(logging.Filter):
    """A refused request (status 4xx, e.g. Django's "Forbidden (Permission denied): /path") is logged as one line:
    the traceback is dropped, since the refusal is expected behaviour and the trace only fills the log (and may show
    local values). Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
