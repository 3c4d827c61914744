"""Settings for DPS Portal, read once from the environment.

Every variable is documented in `.env.example`. Defaults let development and CI run with no
environment at all (SQLite file under BASE_DIR, DEBUG on); production sets DJANGO_DEBUG=false,
DJANGO_SECRET_KEY and DATABASE_URL.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .device_endpoint import device_port
from .production import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable (`1/true/yes/on` or `0/false/no/off`, any case)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from exc


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "enrollments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that cannot reach the database answers 503 (portal page or DPS JSON), never a 500.
    "dps_portal.outages.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dps_portal.htmx.VaryOnHtmxMiddleware",
]

ROOT_URLCONF = "dps_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "enrollments.context_processors.provisioning_service",
            ],
        },
    },
]

WSGI_APPLICATION = "dps_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE takes the write lock up front, so two concurrent writers queue (timeout in
    # seconds) instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # Tests get a file, not `:memory:`, so a second process (a listener, a worker) can open the same
    # test database: one per test run (process id) in the temporary folder; DPS_TEST_DB_PATH moves it.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME",
        os.environ.get("DPS_TEST_DB_PATH") or os.path.join(tempfile.gettempdir(), f"dps-test-{os.getpid()}.sqlite3"),
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "enrollments:overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# Development and tests serve from the finders; production runs collectstatic into STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Content-Security-Policy (django-csp), in every mode so the browser tests see what production does:
# scripts and styles only from this server's files, never inline (htmx's indicator style is off in
# base.html's htmx-config; Bootstrap's form controls draw with data: SVG images). /api/docs/ and
# /api/redoc/ add their own relaxations (enrollments/api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Secrets never reach logs: Django's error reports already hide settings; views that take keys
# use sensitive_post_parameters. Log to the console only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable (blank entries dropped)."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Hardening (production: DEBUG off). Behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https and DJANGO_TRUSTED_PROXIES.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # plain-HTTP probes on the private port
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    # Submitting the domain to browsers' HSTS preload list is the operator's decision, not a default.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
_proxy_ssl_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition(",")
    if not _header.strip().startswith("HTTP_") or not _value.strip():
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER={_proxy_ssl_header!r}: "
            "use HEADER,value, e.g. HTTP_X_FORWARDED_PROTO,https."
        )
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip())
# The only peers whose X-Forwarded-For is believed (addresses or networks, e.g. 10.0.0.0/8):
# dps_portal.client_address.client_address() reads the client's address through them.
DPS_TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

# --- DPS Portal settings -------------------------------------------------------------------
# Name of the provisioning service shown in the portal (the Azure resource name).
DPS_SERVICE_NAME = os.environ.get("DPS_SERVICE_NAME", "dps-portal")
# Public base URL of this server: the service endpoint and connection strings use its host.
DPS_PUBLIC_URL = os.environ.get("DPS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Fixed ID scope (0ne + 8 uppercase hex digits); blank: generated once and stored.
DPS_ID_SCOPE = os.environ.get("DPS_ID_SCOPE", "")
# Server-side files (the device endpoint's generated TLS certificates under tls/, CA key included).
DPS_DATA_DIR = Path(os.environ.get("DPS_DATA_DIR") or BASE_DIR / "data")

# The device endpoint (dps_portal/gunicorn_device_conf.py): HTTPS on its own TLS port, the same app.
# Host name devices use (Overview, the certificate's names); default: DPS_PUBLIC_URL's host.
DPS_DEVICE_HOST = os.environ.get("DPS_DEVICE_HOST", "").strip()
DPS_DEVICE_BIND = os.environ.get("DPS_DEVICE_BIND", "").strip() or "0.0.0.0"
try:
    # blank: 443 when this process may bind it, else 8443 (dps_portal/device_endpoint.py)
    DPS_DEVICE_PORT = device_port(os.environ.get("DPS_DEVICE_PORT"))
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from None
# The operator's own certificate (PEM, chain after it) and key; blank: generated by a local CA
# (dps_portal/server_certificates.py). DPS_TLS_CA_FILE: what `Download server CA certificate` serves.
DPS_TLS_CERT_FILE = os.environ.get("DPS_TLS_CERT_FILE", "").strip()
DPS_TLS_KEY_FILE = os.environ.get("DPS_TLS_KEY_FILE", "").strip()
DPS_TLS_CA_FILE = os.environ.get("DPS_TLS_CA_FILE", "").strip()
# More names for the generated server certificate, beside localhost, 127.0.0.1, ::1, DPS_DEVICE_HOST,
# DPS_PUBLIC_URL's host, DPS_DEVICE_BIND and DJANGO_ALLOWED_HOSTS.
DPS_TLS_HOST_NAMES = env_list("DPS_TLS_HOST_NAMES")

# Quotas from DPS (dps-reference §6); each can be raised or lowered here.
DPS_MAX_INDIVIDUAL_ENROLLMENTS = env_int("DPS_MAX_INDIVIDUAL_ENROLLMENTS", 1_000_000)
DPS_MAX_SYMMETRIC_KEY_GROUPS = env_int("DPS_MAX_SYMMETRIC_KEY_GROUPS", 100)
DPS_MAX_X509_GROUPS = env_int("DPS_MAX_X509_GROUPS", 100)
DPS_MAX_CA_CERTIFICATES = env_int("DPS_MAX_CA_CERTIFICATES", 25)
DPS_MAX_LINKED_HUBS = env_int("DPS_MAX_LINKED_HUBS", 50)
# How long a CA certificate's verification code (proof of possession) is accepted, in seconds.
DPS_VERIFICATION_CODE_LIFETIME = env_int("DPS_VERIFICATION_CODE_LIFETIME", 3600)
DPS_MAX_REGISTRATIONS = env_int("DPS_MAX_REGISTRATIONS", 1_000_000)
# Bulk operations: Azure caps a call at 10 items; we allow more.
DPS_MAX_BULK_ITEMS = env_int("DPS_MAX_BULK_ITEMS", 1000)
# Seconds a bulk operation may run before it stops and applies nothing (answering 503): keep it
# below the server's worker timeout (gunicorn's default: 30 s) so no call is killed half-done.
DPS_BULK_TIME_LIMIT = env_int("DPS_BULK_TIME_LIMIT", 20)
# Longest lifetime of a service SAS token, in seconds: a token whose se (expiry) lies further ahead is
# refused (default one year).
DPS_MAX_SAS_LIFETIME = env_int("DPS_MAX_SAS_LIFETIME", 365 * 24 * 3600)
# Largest request body of the service and device APIs, in bytes (default 10 MB): a larger one gets
# DPS's JSON 413. Django refuses larger form bodies on the portal too; uploaded files are not counted
# (each upload form checks its own file size).
DPS_MAX_REQUEST_BODY = env_int("DPS_MAX_REQUEST_BODY", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DPS_MAX_REQUEST_BODY
# Device API (dps-reference §4.1, §6). Largest register or status-lookup body, in bytes (DPS's message
# size limit, 96 KB): a larger one gets DPS's JSON 413.
DPS_DEVICE_MAX_MESSAGE_SIZE = env_int("DPS_DEVICE_MAX_MESSAGE_SIZE", 96 * 1024)
# Operation-status polls allowed per device per window (seconds); more get 429 with Retry-After.
DPS_DEVICE_POLL_LIMIT = env_int("DPS_DEVICE_POLL_LIMIT", 5)
DPS_DEVICE_POLL_WINDOW = env_int("DPS_DEVICE_POLL_WINDOW", 10)
# Seconds a device's register operation can still be polled (GET …/operations/{operationId}).
DPS_DEVICE_OPERATION_LIFETIME = env_int("DPS_DEVICE_OPERATION_LIFETIME", 24 * 3600)
# Client networks and their locations for `Lowest latency` allocation, e.g.
# `10.1.0.0/16=westeurope,192.168.0.0/24=eastus` (most specific network wins; see enrollments/allocation.py).
DPS_CLIENT_LOCATIONS = os.environ.get("DPS_CLIENT_LOCATIONS", "")
# Seconds an add-wizard draft lives untouched before it is removed (default one week).
DPS_WIZARD_DRAFT_LIFETIME = env_int("DPS_WIZARD_DRAFT_LIFETIME", 7 * 24 * 3600)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DPS Portal service API",
    "DESCRIPTION": (
        "Azure IoT Hub Device Provisioning Service data-plane API, wire-compatible with every published "
        "api-version (2017-08-31-preview to 2026-04-01); described here in the shape of 2021-10-01."
    ),
    "VERSION": "2021-10-01",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
}
