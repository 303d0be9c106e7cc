"""The one settings module: everything comes from the environment, and the defaults are the safe ones.

``KETACLINIC_ENVIRONMENT`` picks the mode: ``production`` (the default), ``demo`` (set by ``ketaclinic demo``) or
``test`` (set by ``ketaclinic.settings_test`` for the test suite). Outside demo and test a secret key is required and
cookies, HTTPS and HSTS are strict. Unknown or malformed values stop start-up with a message naming the variable
(CONTRACTS §2; knowledge/security.md H9, H10).
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from csp.constants import NONE, SELF

from ketaclinic.config import (
    CONSOLE_SMS_BACKEND,
    ConfigError,
    chain_key,
    console_delivery_channels,
    env_bool,
    env_choice,
    env_int,
    env_list,
    parse_database_url,
    private_sqlite_files,
)

django_stubs_ext.monkeypatch()  # generic admin/form classes at run time, for type hints

BASE_DIR = Path(__file__).resolve().parent

ENVIRONMENT = env_choice("KETACLINIC_ENVIRONMENT", ("production", "demo", "test"), default="production")
IS_PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("KETACLINIC_DEBUG", default=False)

DATA_DIR = Path(os.environ.get("KETACLINIC_DATA_DIR") or Path.cwd() / "data").resolve()

SECRET_KEY = os.environ.get("KETACLINIC_SECRET_KEY", "")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ConfigError(
            "KETACLINIC_SECRET_KEY is required in production: set it to a long random value "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # Demo and test only: a throw-away key for this process (the demo command stores one in its data directory).
    SECRET_KEY = "insecure-" + os.urandom(32).hex()
elif len(SECRET_KEY) < 32:
    raise ConfigError("KETACLINIC_SECRET_KEY is too short: use at least 32 random characters.")

ALLOWED_HOSTS = env_list("KETACLINIC_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KETACLINIC_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "ketaclinic.accounts",
    "ketaclinic.audit",
    "ketaclinic.patients",
    "ketaclinic.consents",
    "ketaclinic.outcomes",
    "ketaclinic.intake",
    "ketaclinic.plans",
    "ketaclinic.pain",
    "ketaclinic.scheduling",
    "ketaclinic.infusions",
    "ketaclinic.homecare",
    "ketaclinic.billing",
    "ketaclinic.followup",
    "ketaclinic.portal",
    "ketaclinic.ledger",
    "ketaclinic.web",
    "ketaclinic.fhir",
    "ketaclinic.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # no-store on patient data and a Permissions-Policy on everything; before WhiteNoise so static files get the policy
    "ketaclinic.web.middleware.PrivacyHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ketaclinic.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ketaclinic.accounts.middleware.SessionLifetimeMiddleware",
    "ketaclinic.accounts.middleware.ClinicTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes last, as its documentation asks: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketaclinic.urls"
WSGI_APPLICATION = "ketaclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketaclinic.web.context.clinic_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": parse_database_url(DATABASE_URL, default_sqlite_path=DATA_DIR / "ketaclinic.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and (ENVIRONMENT != "test" or DATABASE_URL.strip()):
    # The database file (and so its -wal/-shm) is created 0600 before Django connects (ketaclinic.config; H10). The
    # test suite's own default file is left alone (its test database lives in memory).
    private_sqlite_files(Path(DATABASES["default"]["NAME"]))
if ENVIRONMENT == "test" and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The suite's commits (live-server journeys, concurrency tests) need not wait for the disk: a crash loses at most
    # the last moments of a throw-away test database. Never outside the test mode.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication (knowledge/security.md: passwords, H2, H7, H8) ------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if ENVIRONMENT == "test":
    # Argon2 costs ~50 ms a hash; the suite hashes thousands of passwords. Production keeps Argon2 first.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"

# Sessions: idle timeout 15 min and absolute lifetime 12 h by default (security.md H2), enforced server-side by
# ketaclinic.accounts.middleware.SessionLifetimeMiddleware; the cookie never outlives the absolute lifetime.
KETACLINIC_IDLE_TIMEOUT_S = env_int("KETACLINIC_IDLE_TIMEOUT_MIN", default=15, low=1, high=240) * 60
KETACLINIC_SESSION_MAX_S = env_int("KETACLINIC_SESSION_MAX_HOURS", default=12, low=1, high=24) * 3600
SESSION_COOKIE_AGE = KETACLINIC_SESSION_MAX_S
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# MFA (H7): nurses, prescribers and clinic admins always; front desk too in production unless a clinic decides
# otherwise. The demo relaxes it for front desk only and says so on the login page.
KETACLINIC_MFA_FRONT_DESK = env_bool("KETACLINIC_MFA_FRONT_DESK", default=ENVIRONMENT != "demo")
OTP_TOTP_ISSUER = "ketaclinic"

# Lockout (H8): 5 failures per username + IP, 30 minutes cool-off.
AXES_FAILURE_LIMIT = env_int("KETACLINIC_LOCKOUT_FAILURES", default=5, low=3, high=20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KETACLINIC_LOCKOUT_MINUTES", default=30, low=1, high=1440))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ketaclinic.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("KETACLINIC_PROXY_COUNT", default=0, low=0, high=5)

# Self-service password reset (issue 13): the e-mailed link works once and for an hour (Django's default is 3 days;
# ASVS 6.4 asks for a short life). At most N requests per client address (the e-mails sent plus the refusal tallies)
# and N e-mails per account in the window; past either limit the page says the same and nothing is sent.
PASSWORD_RESET_TIMEOUT = env_int("KETACLINIC_PASSWORD_RESET_MINUTES", default=60, low=10, high=24 * 60) * 60
KETACLINIC_PASSWORD_RESET_RATE_LIMIT = env_int("KETACLINIC_PASSWORD_RESET_RATE_LIMIT", default=5, low=1, high=100)
KETACLINIC_PASSWORD_RESET_ACCOUNT_LIMIT = env_int("KETACLINIC_PASSWORD_RESET_ACCOUNT_LIMIT", default=3, low=1, high=20)
KETACLINIC_PASSWORD_RESET_RATE_WINDOW_MIN = env_int(
    "KETACLINIC_PASSWORD_RESET_RATE_WINDOW_MIN", default=60, low=1, high=24 * 60
)

# --- HTTPS, cookies and headers (H9) --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KETACLINIC_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("KETACLINIC_HSTS_SECONDS", default=31_536_000, low=0, high=63_072_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("KETACLINIC_BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# CSP via django-csp 4 (one dict; no inline scripts or styles, nothing from another origin).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Static files, i18n, time ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static" if IS_PRODUCTION else None  # demo and test serve from the app folders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
LANGUAGE_CODE = "en-us"
USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"  # storage and server time; each clinic shows its own zone (Clinic.timezone)
KETACLINIC_DISPLAY_TZ = os.environ.get("KETACLINIC_DISPLAY_TZ", "America/New_York")

# --- E-mail ---------------------------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "KETACLINIC_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("KETACLINIC_FROM_EMAIL", "clinic@localhost")

# --- Public consultation requests (issue 5) -----------------------------------------------------------------------
# At most N accepted requests per client address per window, counted in the database (a salted SHA-256 of the address
# is stored, never the address) so every app server behind a load balancer enforces the same limit.
KETACLINIC_CONSULTATION_RATE_LIMIT = env_int("KETACLINIC_CONSULTATION_RATE_LIMIT", default=5, low=1, high=1000)
KETACLINIC_CONSULTATION_RATE_WINDOW_MIN = env_int(
    "KETACLINIC_CONSULTATION_RATE_WINDOW_MIN", default=60, low=1, high=7 * 24 * 60
)

# --- Measurement-based care (issue 8) ------------------------------------------------------------------------------
# Questionnaire cadence (clinical-rules.md §5 "Measurement cadence defaults"): PHQ-9 (and GAD-7, a pain score for pain
# patients) before every session during induction, then every 14 days; the file's alternative is 7 days for the first
# 28 days after induction (set KETACLINIC_FOLLOW_UP_EARLY_INTERVAL_DAYS=7 to use it; 0 = off).
KETACLINIC_FOLLOW_UP_INTERVAL_DAYS = env_int("KETACLINIC_FOLLOW_UP_INTERVAL_DAYS", default=14, low=1, high=365)
KETACLINIC_FOLLOW_UP_EARLY_INTERVAL_DAYS = env_int(
    "KETACLINIC_FOLLOW_UP_EARLY_INTERVAL_DAYS", default=0, low=0, high=365
)
KETACLINIC_FOLLOW_UP_EARLY_WINDOW_DAYS = env_int("KETACLINIC_FOLLOW_UP_EARLY_WINDOW_DAYS", default=28, low=1, high=365)
# Clinic policy, not clinical figures (no source gives them): how long before a session its questionnaire is sent, and
# how long a link stays open. A link never outlives its purpose: a pre-session link closes when the session day ends.
KETACLINIC_QUESTIONNAIRE_LEAD_HOURS = env_int("KETACLINIC_QUESTIONNAIRE_LEAD_HOURS", default=24, low=1, high=168)
KETACLINIC_QUESTIONNAIRE_LINK_HOURS = env_int("KETACLINIC_QUESTIONNAIRE_LINK_HOURS", default=72, low=1, high=336)
# Text messages go through a pluggable backend (dotted path to a class with send(to, body)). Production has no
# provider by default (every text fails and is recorded so); the demo prints them to the console.
KETACLINIC_SMS_BACKEND = os.environ.get(
    "KETACLINIC_SMS_BACKEND", "ketaclinic.outcomes.sms.NoSmsBackend" if IS_PRODUCTION else CONSOLE_SMS_BACKEND
)
# A console e-mail or SMS backend prints patients' addresses and live questionnaire links into the server's output
# (the logs): production refuses to start with one unless this is true, and clinic admins then see a warning on every
# page (knowledge/security.md H4 "never write tokens"; OWASP ASVS 5.0 V16.2.5).
KETACLINIC_ALLOW_CONSOLE_DELIVERY = env_bool("KETACLINIC_ALLOW_CONSOLE_DELIVERY", default=False)
KETACLINIC_CONSOLE_DELIVERY = console_delivery_channels(email_backend=EMAIL_BACKEND, sms_backend=KETACLINIC_SMS_BACKEND)
if IS_PRODUCTION and KETACLINIC_CONSOLE_DELIVERY and not KETACLINIC_ALLOW_CONSOLE_DELIVERY:
    raise ConfigError(
        f"{' and '.join(KETACLINIC_CONSOLE_DELIVERY)} name a console backend, which prints patients' addresses and "
        "live links into the server's output: set a real backend, or KETACLINIC_ALLOW_CONSOLE_DELIVERY=true."
    )
# Crisis resources shown on every questionnaire page (instruments.md § phq9: crisis resources shown to the patient).
# US defaults; a clinic elsewhere sets its own numbers.
# Signed consent PDFs, scanned paper consents and the chart's documents: files in the data directory, outside the
# web root (never under STATIC_ROOT), under random names, served only through the access-checked, audited download
# views.
KETACLINIC_DOCUMENTS_DIR = DATA_DIR / "documents"
if ENVIRONMENT == "test":  # the suite never writes into a working copy's data folder (tests also pick their own)
    KETACLINIC_DOCUMENTS_DIR = Path(tempfile.gettempdir()) / f"ketaclinic-test-documents-{os.getpid()}"
# The largest file accepted (a technical limit, not a clinical rule): a scan of a paper consent, a document uploaded on
# the chart by staff or in the portal by a patient.
KETACLINIC_SCAN_MAX_MB = env_int("KETACLINIC_SCAN_MAX_MB", default=10, low=1, high=50)

KETACLINIC_CRISIS_LINE = os.environ.get("KETACLINIC_CRISIS_LINE", "988")
KETACLINIC_CRISIS_LINE_NAME = os.environ.get("KETACLINIC_CRISIS_LINE_NAME", "Suicide & Crisis Lifeline")
KETACLINIC_EMERGENCY_NUMBER = os.environ.get("KETACLINIC_EMERGENCY_NUMBER", "911")
# Public questionnaire pages: at most N submissions/opens per client address per window (security.md "Input").
KETACLINIC_QUESTIONNAIRE_RATE_LIMIT = env_int("KETACLINIC_QUESTIONNAIRE_RATE_LIMIT", default=30, low=1, high=10_000)
KETACLINIC_QUESTIONNAIRE_RATE_WINDOW_MIN = env_int(
    "KETACLINIC_QUESTIONNAIRE_RATE_WINDOW_MIN", default=60, low=1, high=7 * 24 * 60
)
# The public address patients reach the site at, used in the links the scheduler sends (staff "send now" uses the
# address of the request). Set it in production, e.g. https://clinic.example.org.
KETACLINIC_PUBLIC_URL = os.environ.get("KETACLINIC_PUBLIC_URL", "http://127.0.0.1:8000")
# --- Patient portal (issue 18) ---------------------------------------------------------------------------------------
# Sign-in by a one-time link (no password). The portal session's idle timeout is security.md H2's 15 minutes; its
# absolute lifetime, the link's lifetime, the date-of-birth attempts and the link-request limits are clinic policy
# (no published figure), kept short: a patient can always ask for a new link.
KETACLINIC_PORTAL_IDLE_TIMEOUT_S = env_int("KETACLINIC_PORTAL_IDLE_TIMEOUT_MIN", default=15, low=1, high=60) * 60
KETACLINIC_PORTAL_SESSION_MAX_S = env_int("KETACLINIC_PORTAL_SESSION_MAX_MIN", default=60, low=5, high=12 * 60) * 60
KETACLINIC_PORTAL_LINK_MINUTES = env_int("KETACLINIC_PORTAL_LINK_MINUTES", default=15, low=5, high=24 * 60)
KETACLINIC_PORTAL_DOB_ATTEMPTS = env_int("KETACLINIC_PORTAL_DOB_ATTEMPTS", default=3, low=1, high=10)
KETACLINIC_PORTAL_LINKS_PER_ADDRESS = env_int("KETACLINIC_PORTAL_LINKS_PER_ADDRESS", default=3, low=1, high=100)
KETACLINIC_PORTAL_LINKS_PER_CLIENT = env_int("KETACLINIC_PORTAL_LINKS_PER_CLIENT", default=10, low=1, high=1000)
KETACLINIC_PORTAL_LINK_WINDOW_MIN = env_int("KETACLINIC_PORTAL_LINK_WINDOW_MIN", default=60, low=1, high=24 * 60)
# Where the sign-in link is looked up and sent: "background" (a thread after the request's commit, so the answer takes
# the same time for a known and an unknown address) or "inline" (the test suite, which runs on-commit callbacks itself).
KETACLINIC_PORTAL_LINK_DELIVERY = "inline" if ENVIRONMENT == "test" else "background"
# One-time token rows (portal sign-in links and requests, visit and waiting-list offer links, the form double-submit
# guards) are removed or closed this many days after they expire (portal/retention.py). Clinic policy, no published
# figure: the audit log (45 CFR 164.316(b)(2)) keeps every use; 30 days keeps the rows at hand for a patient's query.
KETACLINIC_TOKEN_RETENTION_DAYS = env_int("KETACLINIC_TOKEN_RETENTION_DAYS", default=30, low=1, high=3650)

# Clinic policy: an open safety alert nobody has acknowledged after this many minutes is escalated to the clinic
# admins of the patient's location (in-app and e-mail). No published figure; 60 minutes is the shipped default.
KETACLINIC_ALERT_ESCALATION_MINUTES = env_int(
    "KETACLINIC_ALERT_ESCALATION_MINUTES", default=60, low=5, high=7 * 24 * 60
)

# --- FHIR Bulk Data export (issue 20) -------------------------------------------------------------------------------
# The NDJSON files of a $export: copies of chart data, in the data directory outside the web root, served only to the
# user whose token asked (ketaclinic/fhir/bulk.py). Clinic policy, no published figure: they (and the job's status URL)
# expire this many hours after the export finished; `purge_fhir_exports` (one of the `ketaclinic jobs`) deletes them.
KETACLINIC_FHIR_EXPORT_DIR = DATA_DIR / "fhir-exports"
if ENVIRONMENT == "test":
    KETACLINIC_FHIR_EXPORT_DIR = Path(tempfile.gettempdir()) / f"ketaclinic-test-fhir-exports-{os.getpid()}"
KETACLINIC_FHIR_EXPORT_RETENTION_HOURS = env_int(
    "KETACLINIC_FHIR_EXPORT_RETENTION_HOURS", default=24, low=1, high=24 * 30
)
# How many processes write one export's resource types side by side (a technical setting: the machine's cores). The
# test suite writes in its own process.
KETACLINIC_FHIR_EXPORT_PROCESSES = env_int(
    "KETACLINIC_FHIR_EXPORT_PROCESSES", default=1 if ENVIRONMENT == "test" else 2, low=1, high=16
)
# Who starts a queued export: "background" (a thread of the web process claims it as soon as the request commits; the
# jobs runner takes over anything left, e.g. after a restart) or "jobs" (only `ketaclinic jobs`; the test suite, which
# runs the job itself).
KETACLINIC_FHIR_EXPORT_START = os.environ.get(
    "KETACLINIC_FHIR_EXPORT_START", "jobs" if ENVIRONMENT == "test" else "background"
)
if KETACLINIC_FHIR_EXPORT_START not in ("background", "jobs"):
    raise ConfigError("KETACLINIC_FHIR_EXPORT_START must be background or jobs.")

# --- API ------------------------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
# Idempotency-Key (ketaclinic.api.idempotency): how long a key's stored response is replayed. The claim commits with
# the write, so there is no abandoned claim to take over.
KETACLINIC_IDEMPOTENCY_TTL_HOURS = env_int("KETACLINIC_IDEMPOTENCY_TTL_HOURS", default=24, low=1, high=24 * 30)

# --- Audit and ledger chain key (issue 13; docs/audit-integrity.md) -------------------------------------------------
# HMAC key of both hash chains and their signed checkpoints; required in production (ketaclinic.config.chain_key).
KETACLINIC_CHAIN_KEY, KETACLINIC_CHAIN_KEY_SOURCE = chain_key(
    secret_key=SECRET_KEY, secret_key_given=bool(os.environ.get("KETACLINIC_SECRET_KEY")), production=IS_PRODUCTION
)

# Logs carry no query strings (staff searches hold names and dates of birth), no questionnaire tokens and no
# traceback for a refused (4xx) request: ketaclinic.log_filters (knowledge/security.md H4; OWASP ASVS 5.0 V16.2.5).
# Django's own handlers are replaced, so every django.* record goes through the filtered console handler; the
# django.request logger is filtered itself too, so the record every handler sees is already clean.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_urls": {"()": "ketaclinic.log_filters.RedactUrlsFilter"},
        "no_client_error_traceback": {"()": "ketaclinic.log_filters.ClientErrorWithoutTracebackFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_urls", "no_client_error_traceback"]},
    },
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["redact_urls", "no_client_error_traceback"]},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KETACLINIC_LOG_LEVEL", "WARNING")},
}
