"""The one settings module, driven by environment variables (see README "Configuration").

Secure by default: unless CCPLATFORM_ENV=development, the platform runs with production
settings and refuses to start without a strong SECRET_KEY, a DATABASE_URL and a broker.
A `.env` file beside manage.py (written by `make run`) is read first; variables already set
in the environment win. Configuration errors stop the process with one line naming the
variable (ccplatform.config.fail).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django_stubs_ext
from django.utils.csp import CSP

from ccplatform.config import (
    ConfigurationError,
    Env,
    caches,
    check_secret_key,
    checkpoint_keyring,
    database,
    encryption_keyrings,
    fail,
    filesystem_broker,
    mailers,
    read_dotenv,
    task_delivery,
    time_zone,
    working_days,
    working_hours,
)
from ccplatform.logging import build_logging_config

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()
try:
    if env.flag("CCPLATFORM_READ_DOTENV", True):
        read_dotenv(BASE_DIR / ".env")

    ENVIRONMENT = env.choice("CCPLATFORM_ENV", ("production", "development"), "production")
    PRODUCTION = ENVIRONMENT == "production"
    DEBUG = False if PRODUCTION else env.flag("DEBUG", False)

    if PRODUCTION:
        SECRET_KEY = check_secret_key("SECRET_KEY", env.secret("SECRET_KEY"))
    else:
        SECRET_KEY = env.secret("SECRET_KEY") or "development-only-" + "x" * 50

    ALLOWED_HOSTS = env.items("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
    if PRODUCTION and not ALLOWED_HOSTS:
        raise ConfigurationError("ALLOWED_HOSTS is required in production (comma-separated)")
    CSRF_TRUSTED_ORIGINS = env.items("CSRF_TRUSTED_ORIGINS")

    DATABASES: dict[str, Any] = {
        "default": database(env, production=PRODUCTION, base_dir=BASE_DIR, var_dir=VAR_DIR)
    }

    REDIS_URL = env.secret("REDIS_URL")
    CELERY_BROKER_URL = env.secret("CELERY_BROKER_URL") or REDIS_URL
    if PRODUCTION and not CELERY_BROKER_URL:
        raise ConfigurationError("REDIS_URL (or CELERY_BROKER_URL) is required in production")

    LOG_LEVEL = env.choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()
    LOG_FORMAT = env.choice("LOG_FORMAT", ("json", "console"), "json")
    SECURE_SSL_REDIRECT = PRODUCTION and env.flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_PRELOAD = env.flag("SECURE_HSTS_PRELOAD", True)
    _proxy_header = env.optional("SECURE_PROXY_SSL_HEADER")
    # Rates are parsed here, so a malformed one stops the process at start, not a request.
    API_THROTTLE_ANON = str(env.rate("API_THROTTLE_ANON", "60/minute"))
    API_THROTTLE_USER = str(env.rate("API_THROTTLE_USER", "600/minute"))
    HEARTBEAT_SECONDS = env.integer("CELERY_HEARTBEAT_SECONDS", 60, minimum=1)
    # No task outlives the broker's visibility timeout (ccplatform/jobs.py, README "Tasks").
    DELIVERY = task_delivery(env)
    DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("MAX_REQUEST_BYTES", 1_048_576, minimum=1024)
    TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)
    API_THROTTLE_KEY = str(env.rate("API_THROTTLE_KEY", "1200/minute"))
    SESSION_IDLE_MINUTES = env.integer("SESSION_IDLE_MINUTES", 15, minimum=1)
    SESSION_ABSOLUTE_HOURS = env.integer("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
    LOCKOUT_THRESHOLD = env.integer("LOCKOUT_THRESHOLD", 10, minimum=1)
    LOCKOUT_MINUTES = env.integer("LOCKOUT_MINUTES", 30, minimum=1)
    SIGNIN_IP_LIMIT = env.integer("SIGNIN_IP_LIMIT", 30, minimum=1)
    SIGNIN_IP_WINDOW_SECONDS = env.integer("SIGNIN_IP_WINDOW_SECONDS", 900, minimum=1)
    DORMANT_DAYS = env.integer("DORMANT_DAYS", 90, minimum=1)
    PHONE_DEFAULT_REGION = env.text("PHONE_DEFAULT_REGION", "US").upper()
    REVEAL_RATE = env.rate("REVEAL_RATE", "30/hour")

    # Field encryption and blind-index keys (ccplatform.crypto): from the environment or
    # secret files in production; a generated local file in the embedded default.
    KEY_FILE = VAR_DIR / "keyring.json"
    FIELD_ENCRYPTION_KEYRING, BLIND_INDEX_KEYRING, KEYS_FROM_LOCAL_FILE = encryption_keyrings(
        env, production=PRODUCTION, key_file=KEY_FILE
    )
    FIELD_ENCRYPTION_PROVIDER = env.text(
        "FIELD_ENCRYPTION_PROVIDER", "ccplatform.crypto.providers.LocalKeyProvider"
    )

    # Audit log (audit/): hash-chain shards, checkpoint signing key, monitoring thresholds,
    # SIEM feed and the retention of the log itself. README "Configuration" explains each.
    AUDIT_CHAINS = env.integer("AUDIT_CHAINS", 64, minimum=1)
    AUDIT_CHECKPOINT_KEYRING = checkpoint_keyring(env, production=PRODUCTION, key_file=KEY_FILE)
    AUDIT_CHECKPOINT_MINUTES = env.integer("AUDIT_CHECKPOINT_MINUTES", 60, minimum=1)
    AUDIT_FULL_VERIFY_HOUR = env.integer("AUDIT_FULL_VERIFY_HOUR", 2, minimum=0)
    if AUDIT_FULL_VERIFY_HOUR > 23:
        raise ConfigurationError("AUDIT_FULL_VERIFY_HOUR must be an hour from 0 to 23 (UTC)")
    AUDIT_MONITOR_SECONDS = env.integer("AUDIT_MONITOR_SECONDS", 60, minimum=5)
    AUDIT_BULK_ACCESS_CUSTOMERS = env.integer("AUDIT_BULK_ACCESS_CUSTOMERS", 50, minimum=1)
    AUDIT_BULK_ACCESS_MINUTES = env.integer("AUDIT_BULK_ACCESS_MINUTES", 10, minimum=1)
    AUDIT_SIGNIN_FAILURES = env.integer("AUDIT_SIGNIN_FAILURES", 10, minimum=1)
    AUDIT_SIGNIN_FAILURE_MINUTES = env.integer("AUDIT_SIGNIN_FAILURE_MINUTES", 15, minimum=1)
    AUDIT_DENIED_BURST = env.integer("AUDIT_DENIED_BURST", 20, minimum=1)
    AUDIT_DENIED_BURST_MINUTES = env.integer("AUDIT_DENIED_BURST_MINUTES", 10, minimum=1)
    AUDIT_WORKING_HOURS = working_hours(
        "AUDIT_WORKING_HOURS", env.text("AUDIT_WORKING_HOURS", "08:00-18:00")
    )
    AUDIT_WORKING_DAYS = working_days(
        "AUDIT_WORKING_DAYS", env.items("AUDIT_WORKING_DAYS", ["mon", "tue", "wed", "thu", "fri"])
    )
    AUDIT_WORKING_TIME_ZONE = time_zone(
        "AUDIT_WORKING_TIME_ZONE", env.text("AUDIT_WORKING_TIME_ZONE", "UTC")
    )
    AUDIT_FORWARD_TARGET = env.text("AUDIT_FORWARD_TARGET", "")
    AUDIT_FORWARD_SECONDS = env.integer("AUDIT_FORWARD_SECONDS", 30, minimum=1)
    AUDIT_HOT_DAYS = env.integer("AUDIT_HOT_DAYS", 90, minimum=1)
    AUDIT_RETENTION_DAYS = env.integer("AUDIT_RETENTION_DAYS", 2190, minimum=365)

    # The breach workflow: the regimes the organisation is under (a state's or a country's
    # law applies by the residence of the people affected), who answers for data protection
    # (printed in every notice), how often the clocks are checked for reminders.
    INCIDENT_REGIMES = env.subset("INCIDENT_REGIMES", ("gdpr", "hipaa"), ["gdpr", "hipaa"])
    INCIDENT_DPO_CONTACT = env.text("INCIDENT_DPO_CONTACT", "")
    INCIDENT_REMINDER_MINUTES = env.integer("INCIDENT_REMINDER_MINUTES", 5, minimum=1)

    MAILERS: dict[str, Any] = mailers(env, production=PRODUCTION)
    DEFAULT_FROM_EMAIL = env.optional("DEFAULT_FROM_EMAIL") or "ccplatform@localhost"
except ConfigurationError as _error:
    fail(_error)

# --- Applications --------------------------------------------------------------------------

INSTALLED_APPS = [
    "accounts.admin_apps.PlatformAdminConfig",  # the admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_structlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework_api_key",
    "ccplatform",
    "audit",
    "accounts",
    "customers",
    "retention",
    "incidents",
    "demo",  # demo data for the embedded default; above every app, imported by none
]

MIDDLEWARE = [
    "ccplatform.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so that error pages raised by later middleware carry the policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Ends sessions without a verified factor or past their lifetime, then attaches the
    # request's one Caller (ccplatform.callers), which every view, selector and service uses.
    "accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "ccplatform.middleware.NoStoreMiddleware",
    "ccplatform.middleware.PlatformErrorMiddleware",
]

ROOT_URLCONF = "ccplatform.urls"
WSGI_APPLICATION = "ccplatform.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ccplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.session_policy",
                "ccplatform.context_processors.abilities",
            ],
        },
    },
]

# --- Data ----------------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process (throttles must be shared): Redis, or a folder in the embedded default.
CACHES = caches(REDIS_URL, VAR_DIR)

# --- Security ------------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "accounts.validators.PasswordHistoryValidator", "OPTIONS": {"remember": 4}},
]

SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# The __Host- prefix pins cookies to this exact host over HTTPS; browsers reject it on http.
SESSION_COOKIE_NAME = "__Host-sessionid" if PRODUCTION else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if PRODUCTION else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
# Sessions live in the database (accounts.UserSession) so people can list and end them.
SESSION_ENGINE = "accounts.sessions"
# Idle timeout: each request renews the session for SESSION_COOKIE_AGE seconds.
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Absolute lifetime from sign-in, enforced by accounts.middleware.SessionPolicyMiddleware.
SESSION_ABSOLUTE_SECONDS = SESSION_ABSOLUTE_HOURS * 3600
# Messages stay server-side (a new API key is shown once through one, never in a cookie).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
OTP_TOTP_ISSUER = "ccplatform"

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Internationalisation and time (invariant 9: UTC, aware) -------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it in production

# --- API -----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "ccplatform.api.pagination.StandardPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "accounts.throttling.PersonRateThrottle",
        "accounts.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
        "api_key": API_THROTTLE_KEY,
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "ccplatform.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ccplatform API",
    "DESCRIPTION": (
        "Customer records, audit and compliance workflows for contact centers. "
        "Every endpoint is permission-scoped; errors share one body: "
        "{error: {code, message, fields?}, request_id}."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Celery (ccplatform/celery.py reads the CELERY_ namespace) -----------------------------

if CELERY_BROKER_URL:
    CELERY_RESULT_BACKEND = REDIS_URL or None
    CELERY_BROKER_TRANSPORT_OPTIONS = DELIVERY.transport_options()
else:
    # The embedded default's broker needs no server: messages are files under var/broker.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(VAR_DIR)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS
CELERY_TASK_TIME_LIMIT = DELIVERY.time_limit
CELERY_TASK_SOFT_TIME_LIMIT = DELIVERY.soft_time_limit
TASK_SLICE_SECONDS = DELIVERY.slice_seconds
DJANGO_STRUCTLOG_CELERY_ENABLED = True

# --- Logging (JSON lines, request id on every line, personal values scrubbed) --------------

DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = True
# RequestContextMiddleware has already validated (or replaced) the incoming X-Request-ID.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
LOGGING = build_logging_config(level=LOG_LEVEL, json_output=LOG_FORMAT == "json")

# --- Misc ----------------------------------------------------------------------------------

# Keep the allowance small: the API accepts JSON documents, not uploads.
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
CCPLATFORM_VERSION = "0.1.0"
