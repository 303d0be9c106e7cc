"""No personal data or secrets in the server's logs (issue 13, defect 8) and one line for a refused request (defect 9d).

security.md H4 "never write passwords, tokens"; OWASP ASVS 5.0 V16.2.5 and V16.5.1.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client, override_settings

from ketaclinic.access_log import RedactingLogger
from ketaclinic.config import console_delivery_channels
from ketaclinic.log_filters import ClientErrorWithoutTracebackFilter, RedactUrlsFilter, redact_text, redact_url
from tests.conftest import sign_in
from tests.test_config import GOOD_KEY, start

SEARCH = "/patients/?q=Rivera+1961-04-12"
TOKEN = "Zx9kQ2mN4pR7sT1vW3yB5dF8hJ0lP6cE"
PRODUCTION = {"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY": "c" * 50}


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (SEARCH, "/patients/?[redacted]"),
        (f"/q/{TOKEN}/", "/q/[token]/"),
        (f"https://clinic.example.org/q/{TOKEN}/?x=1#top", "https://clinic.example.org/q/[token]/?[redacted]"),
        ("/q/thanks/", "/q/thanks/"),
        (f"/a/{TOKEN}/", "/a/[token]/"),  # an appointment's confirm link
        (f"https://clinic.example.org/a/o/{TOKEN}/", "https://clinic.example.org/a/o/[token]/"),  # a waiting-list offer
        ("/api/v1/schedule/slots", "/api/v1/schedule/slots"),
        ("/patients/12/", "/patients/12/"),
        ("-", "-"),
    ],
)
def test_urls_lose_their_query_string_and_token(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_free_text_loses_query_strings_and_tokens() -> None:
    line = f'"GET {SEARCH} HTTP/1.1" 200 512 and "GET /q/{TOKEN}/ HTTP/1.1" 410'
    assert redact_text(line) == '"GET /patients/?[redacted] HTTP/1.1" 200 512 and "GET /q/[token]/ HTTP/1.1" 410'
    assert redact_text("Is this right?") == "Is this right?"


def gunicorn_logger() -> Any:
    """The logger gunicorn builds from its settings, with ours plugged in as the lead's serving module does."""
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("logger_class", "ketaclinic.access_log.RedactingLogger")
    logger = cfg.logger_class(cfg)
    assert isinstance(logger, RedactingLogger)
    return logger


def gunicorn_atoms(environ: dict[str, str], headers: list[tuple[str, str]]) -> dict[str, Any]:
    """What gunicorn's logger hands the access-log format."""
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("Set-Cookie", "sessionid=abc")])
    atoms: dict[str, Any] = gunicorn_logger().atoms(
        response, SimpleNamespace(headers=headers), environ, dt.timedelta(seconds=1)
    )
    return atoms


def test_the_gunicorn_access_log_redacts_query_strings_tokens_and_credentials() -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": SEARCH,
        "PATH_INFO": "/patients/",
        "QUERY_STRING": "q=Rivera+1961-04-12",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://clinic.example.org/q/{TOKEN}/",
        "HTTP_COOKIE": "sessionid=secret",
        "REMOTE_ADDR": "10.0.0.1",
    }
    headers = [("REFERER", "https://clinic.example.org/patients/?q=Rivera"), ("AUTHORIZATION", "Bearer kc_secret")]
    atoms = gunicorn_atoms(environ, headers)
    assert atoms["r"] == "GET /patients/?[redacted] HTTP/1.1"
    assert atoms["q"] == "[redacted]" and atoms["U"] == "/patients/"
    assert atoms["f"] == "https://clinic.example.org/q/[token]/"
    assert atoms["{referer}i"] == "https://clinic.example.org/patients/?[redacted]"
    assert atoms["{authorization}i"] == "[redacted]" and atoms["{set-cookie}o"] == "[redacted]"
    assert atoms["{http_cookie}e"] == "[redacted]" and atoms["{raw_uri}e"] == "/patients/?[redacted]"
    assert atoms["h"] == "10.0.0.1" and atoms["s"] == "200"
    everything = " ".join(str(value) for value in atoms.values())
    assert "Rivera" not in everything and TOKEN not in everything and "secret" not in everything


def test_the_default_access_line_of_a_questionnaire_link_has_no_token() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/q/{TOKEN}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://127.0.0.1:8000/q/{TOKEN}/",
        "REMOTE_ADDR": "10.0.0.1",
    }
    logger = gunicorn_logger()
    lines: list[str] = []
    logger.access_log = SimpleNamespace(info=lambda fmt, atoms: lines.append(fmt % atoms))
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=1))
    [line] = lines
    assert TOKEN not in line and '"POST /q/[token]/ HTTP/1.1" 200' in line and "/q/[token]/" in line


def handler_output(logger_name: str, message: str, *args: Any, **extra: Any) -> str:
    """What a handler configured like settings.LOGGING's console handler writes for one record."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactUrlsFilter())
    handler.addFilter(ClientErrorWithoutTracebackFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        try:
            raise PermissionError("boom")
        except PermissionError as exc:
            logger.warning(message, *args, exc_info=exc, extra=extra)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_django_server_lines_lose_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    out = handler_output("tests.server", '"%s" %s %s', f"GET {SEARCH} HTTP/1.1", "200", "5", status_code=200)
    assert "Rivera" not in out and "/patients/?[redacted]" in out


def test_a_server_error_keeps_its_traceback() -> None:
    assert "Traceback" in handler_output("tests.server", "Internal Server Error: %s", "/x/", status_code=500)
    assert "Traceback" not in handler_output("tests.server", "Forbidden: %s", "/x/", status_code=403)


def test_the_console_handler_and_django_loggers_carry_the_filters() -> None:
    root = logging.getLogger()
    console = [handler for handler in root.handlers if type(handler) is logging.StreamHandler]
    assert console, "the console handler of settings.LOGGING"
    kinds = {type(f) for f in console[0].filters}
    assert {RedactUrlsFilter, ClientErrorWithoutTracebackFilter} <= kinds
    request_filters = {type(f) for f in logging.getLogger("django.request").filters}
    assert {RedactUrlsFilter, ClientErrorWithoutTracebackFilter} <= request_filters
    server = logging.getLogger("django.server")
    assert server.handlers == console[:1] or all(
        {RedactUrlsFilter} <= {type(f) for f in h.filters} for h in server.handlers
    )
    assert logging.getLogger("django").handlers == []  # Django's unfiltered console/mail handlers are replaced


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line_without_traceback(
    client: Client, carol: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in(client, carol)  # front desk may not open the audit log
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/audit/?user=Rivera")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].getMessage() == "Forbidden (Permission denied): /audit/"
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
def test_a_refused_questionnaire_link_is_logged_without_its_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(f"/q/{TOKEN}/")
    assert response.status_code >= 400
    messages = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert messages and all(TOKEN not in message for message in messages)
    assert any("/q/[token]/" in message for message in messages)


# --- console delivery in production --------------------------------------------------------------------------------


def test_console_backends_are_recognised() -> None:
    assert console_delivery_channels(
        email_backend="django.core.mail.backends.console.EmailBackend",
        sms_backend="ketaclinic.outcomes.sms.ConsoleSmsBackend",
    ) == ["KETACLINIC_EMAIL_BACKEND", "KETACLINIC_SMS_BACKEND"]
    assert (
        console_delivery_channels(
            email_backend="django.core.mail.backends.smtp.EmailBackend",
            sms_backend="ketaclinic.outcomes.sms.NoSmsBackend",
        )
        == []
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KETACLINIC_SMS_BACKEND": "ketaclinic.outcomes.sms.ConsoleSmsBackend"}, "KETACLINIC_SMS_BACKEND"),
        ({"KETACLINIC_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "KETACLINIC_EMAIL_BACKEND"),
        ({"KETACLINIC_ALLOW_CONSOLE_DELIVERY": "perhaps"}, "KETACLINIC_ALLOW_CONSOLE_DELIVERY"),
    ],
)
def test_production_refuses_console_delivery_naming_the_variable(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    result = start({**PRODUCTION, **env}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr


def test_production_starts_with_console_delivery_when_explicitly_allowed(tmp_path: Path) -> None:
    env = {
        **PRODUCTION,
        "KETACLINIC_SMS_BACKEND": "ketaclinic.outcomes.sms.ConsoleSmsBackend",
        "KETACLINIC_ALLOW_CONSOLE_DELIVERY": "true",
    }
    result = start(env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_has_no_console_sms_by_default() -> None:
    source = (Path(__file__).resolve().parent.parent / "ketaclinic" / "settings.py").read_text()
    assert '"ketaclinic.outcomes.sms.NoSmsBackend" if IS_PRODUCTION else CONSOLE_SMS_BACKEND' in source
    from ketaclinic.outcomes.sms import NoSmsBackend, SmsNotConfigured

    with pytest.raises(SmsNotConfigured):
        NoSmsBackend().send("+1 555 0100", "a link")


def test_the_console_sms_backend_masks_the_number(capsys: pytest.CaptureFixture[str]) -> None:
    from ketaclinic.outcomes.sms import ConsoleSmsBackend

    ConsoleSmsBackend().send("+1 (555) 010-4321", "hello")
    out = capsys.readouterr().out
    assert "***-4321" in out and "555" not in out


@pytest.mark.django_db
def test_clinic_admins_are_warned_when_production_delivers_to_the_console(
    client: Client, dave: Any, alice: Any
) -> None:
    warning = "Console delivery is on"
    with override_settings(ENVIRONMENT="production", KETACLINIC_CONSOLE_DELIVERY=["KETACLINIC_SMS_BACKEND"]):
        sign_in(client, dave)
        page = client.get("/staff/").content.decode()
        assert warning in page and "KETACLINIC_SMS_BACKEND" in page
        sign_in(client, alice)
        assert warning not in client.get("/staff/").content.decode()
    with override_settings(ENVIRONMENT="production", KETACLINIC_CONSOLE_DELIVERY=[]):
        sign_in(client, dave)
        assert warning not in client.get("/staff/").content.decode()
