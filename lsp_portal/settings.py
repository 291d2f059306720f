"""One settings module, read from the environment. Safe defaults: DEBUG off unless asked.

With no environment at all the app runs on SQLite with Celery tasks executed eagerly (after
commit), so `make run` works on a machine with no services. `.env.example` lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# With DEBUG off there is no fallback: a key written in the source signs nobody's sessions.
# `make run` sets DEBUG=1; the tests run with tests/settings.py, which sets a test-only key.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or put it in .env) "
            "to a long random string; only DEBUG=1 runs without one.")
    SECRET_KEY = "django-insecure-development-only-lsp-portal-key"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "axes",
    "csp",
    "django_fsm",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "core",
    "partnerships",
    "accreditation",
    "funding",
    "reporting",
    "performance",
    "reference",
]

MIDDLEWARE = [
    # Bench only: a Server-Timing header with each request's CPU time, when BENCH_CPU_HEADER is
    # set (core/middleware.py; bench/load reports it per page). Not used otherwise.
    "core.middleware.CpuTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy on every response, static files included (core/middleware.py).
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.session.SessionRenewalMiddleware",
    "core.clock.ClockMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store, private on every response to someone signed in.
    "core.middleware.PrivateResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # 413 for a body over MAX_REQUEST_BODY_BYTES before anything reads it; inside the middleware
    # above so the 413 page has the usual headers, CSP nonce and signed-in state.
    "core.middleware.RequestBodyLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

BENCH_CPU_HEADER = env.bool("BENCH_CPU_HEADER", default=False)

ROOT_URLCONF = "lsp_portal.urls"

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
                "csp.context_processors.nonce",
                "core.context_processors.service",
            ],
        },
    },
]

WSGI_APPLICATION = "lsp_portal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# With persistent connections, check one before reusing it: after a database restart the first
# request of each worker reconnects instead of failing (bench/faults).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# PostgreSQL's JIT compiler off for the service's own connections (ADR 0027): the exports'
# queries at national scale were estimated costly enough to be compiled, which took longer than
# running them. POSTGRES_JIT=1 leaves the server's setting alone.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not env.bool("POSTGRES_JIT",
                                                                           default=False):
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit=" not in options.get("options", ""):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per-process memory caches: nothing shared, so nothing fails when Redis is away. "figures" holds
# the dashboard's regional aggregates keyed on the committed figures version (ADR 0011): a few
# kilobytes per fund-year, recomputed by each process after any change.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "figures": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "figures",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id at OWASP's recommended parameters; PBKDF2 only to verify (and upgrade) older hashes.
PASSWORD_HASHERS = [
    "core.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:sign-in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:sign-in"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site root (favicon.ico). GOV.UK Frontend's fonts and images are not here:
# static/update-govuk-frontend.sh makes the CSS refer to them relative to itself, so they are
# ordinary hashed static files under /static/govuk/assets/.
WHITENOISE_ROOT = BASE_DIR / "static" / "govuk-root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Evidence files live outside anything served directly; only a permission-checking view reads them.
MEDIA_ROOT = env.path("EVIDENCE_ROOT", default=BASE_DIR / "var" / "evidence")
MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest request body accepted at all: the largest upload (an evidence file, 10 MB:
# MAX_FILE_BYTES in accreditation/evidence.py) plus 1 MB for the rest of the form and the
# multipart framing. A larger body is answered 413 before it is read (core/middleware.py); the
# proxy in front (deploy/nginx/default.conf.template) refuses the same size first.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=11 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# Read API (reporting/api.py): tokens for NRU staff; published decisions open to anyone.
REST_FRAMEWORK = {
    # Tokens made on the API tokens page, then NRU staff's sessions in the browser (the token
    # class first, so that a request without either is told `WWW-Authenticate: Token`).
    "DEFAULT_AUTHENTICATION_CLASSES": ["reporting.api_auth.ApiTokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LSP Portal read API",
    "DESCRIPTION": "Partnerships, allocations with released and held money, and accreditation "
                   "decisions. Amounts are whole pence.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# --- Security --------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool(
    "BEHIND_TLS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Browser features the service never uses, refused to every page (and anything it embeds). Only
# names Chromium knows: it warns about others (tests/security/test_response_headers.py).
PERMISSIONS_POLICY_DENIED = [
    "accelerometer", "autoplay", "browsing-topics", "camera", "clipboard-read", "display-capture",
    "encrypted-media", "fullscreen", "gamepad", "geolocation", "gyroscope", "hid",
    "identity-credentials-get", "idle-detection", "local-fonts", "magnetometer", "microphone",
    "midi", "otp-credentials", "payment", "picture-in-picture", "publickey-credentials-create",
    "publickey-credentials-get", "screen-wake-lock", "serial", "storage-access", "usb",
    "window-management", "xr-spatial-tracking",
]
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
# Renewed at most once a minute rather than written on every request (core/session.py).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_AFTER = env.int("SESSION_RENEW_AFTER", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # django-csp replaces the NONCE sentinel (not a string) with this response's nonce.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Sign-in throttling (docs/adr/0014-request-limits-and-throttling.md). An account is locked from
# an address after AXES_FAILURE_LIMIT failures there; an address is locked for every account
# after AXES_ADDRESS_FAILURE_LIMIT failures across any usernames (password spraying). Both for
# AXES_COOLOFF_TIME after the last failure. core/signin_throttle.py applies the second limit.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "core.signin_throttle.AccountAndAddressHandler"
# The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front (each adding
# the address it was called from to X-Forwarded-For), the one the outermost proxy added.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Logged sign-in failures and lockouts show these masked: no email addresses or IPs in logs.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]
# A GOV.UK page (status 429) instead of axes' plain-text answer.
AXES_LOCKOUT_CALLABLE = "core.views.sign_in_locked_out"

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
# No broker configured: run tasks in-process (they are still sent only after commit).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when Redis is down: fail fast, the outbox keeps the debt.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
    "socket_connect_timeout": 1, "socket_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "recomputes-owed": {
        "task": "funding.recomputes_requeue_owed",
        "schedule": 60.0,
    },
    "releases-reconcile-nightly": {
        "task": "funding.releases_reconcile",
        "schedule": crontab(hour=2, minute=30),
    },
    # Emails owed past their due time, or stuck while sending: hand them to the worker again.
    "emails-owed": {
        "task": "core.emails_sweep",
        "schedule": 60.0,
    },
    # Deferred partnerships due for review (7 days before, and on the day): remind the region's
    # reviewers. Each reminder is due on or after its date and recorded once, so this may run
    # often, and a run the scheduler missed is made up by the next.
    "review-reminders": {
        "task": "accreditation.review_reminders_send",
        "schedule": crontab(minute=5),
    },
    # A cycle's announcement is recorded on its date even if nobody reads the public pages.
    "announcements-take-due": {
        "task": "reporting.announcements_take_due",
        "schedule": 300.0,
    },
    # The dashboard's figures and its default XLSX export after a change no service announced
    # (the admin, a shell), or on a new day (the export's date): warmed within a minute. A dozen
    # small queries when they are warm already (reporting/figures_warm.py).
    "figures-warm": {
        "task": "reporting.figures_warm",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
# A mail server that stops answering must not hold a worker until the task's time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if env.str("EMAIL_FILE_PATH", default=""):  # for django.core.mail.backends.filebased
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
# The email outbox (core/outbox.py, docs/adr/0016-email-outbox.md): attempts before a message is
# marked failed and listed for NRU administrators; the first wait after a failure (then x4 each
# time); how long a new message is left to the hand-off at commit before the sweep sends it;
# how long an attempt may be "sending" before it is presumed dead (more than the send task's
# 90-second time limit).
EMAIL_OUTBOX_MAX_ATTEMPTS = env.int("EMAIL_OUTBOX_MAX_ATTEMPTS", default=5)
EMAIL_OUTBOX_RETRY_SECONDS = env.int("EMAIL_OUTBOX_RETRY_SECONDS", default=60)
EMAIL_OUTBOX_GRACE_SECONDS = env.int("EMAIL_OUTBOX_GRACE_SECONDS", default=60)
EMAIL_OUTBOX_LEASE_SECONDS = env.int("EMAIL_OUTBOX_LEASE_SECONDS", default=300)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="lsp-portal@nru.example")

# --- Time: the service's clock (core/clock.py, docs/adr/0017-training-clock.md) --------------
# A training or demonstration deployment runs on a date stored in the database, which an NRU
# administrator moves forward (/nru/training-date/). Off in production: `check --deploy` refuses
# it with DEBUG off unless TRAINING_CLOCK_ALLOWED_IN_PRODUCTION is set.
TRAINING_CLOCK = env.bool("TRAINING_CLOCK", default=False)
TRAINING_CLOCK_ALLOWED_IN_PRODUCTION = env.bool("TRAINING_CLOCK_ALLOWED_IN_PRODUCTION", default=False)
# Outside a request or a Celery task, the stored date is read again after this many seconds.
TRAINING_CLOCK_CACHE_SECONDS = env.int("TRAINING_CLOCK_CACHE_SECONDS", default=5)

# --- Demo -------------------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="renewal-2002-demo")

# --- Logging: no personal data or secrets; request lines only at WARNING and above ------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

# SQLite (the embedded default) cannot enforce NULLS NOT DISTINCT; PostgreSQL does, and the
# role service uses get_or_create, so the rule holds on both.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
