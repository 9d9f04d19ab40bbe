"""Settings shared by every environment. The environment is read here, once."""

import os
import shlex
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local, git-ignored .env (written by `make setup`) fills in what the environment lacks;
# variables already set in the environment win. AUCTIONEER_ENV_FILE moves it (tests do).
ENV_FILE = Path(os.environ.get("AUCTIONEER_ENV_FILE") or BASE_DIR / ".env")
environ.Env.read_env(ENV_FILE, overwrite=False)

VAR_DIR = Path(env.str("AUCTIONEER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # its SQLite database holds password hashes

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    # First, so that its `changepassword` (which also revokes the account's tokens) replaces
    # django.contrib.auth's: a command is found in the earliest app that has it.
    "authorization",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "oauth2_provider",
    "drf_yasg",
    "django_crontab",
    "corsheaders",
    "csp",
    "auctions",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "auctioneer.middleware.BodySizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auctioneer.middleware.UnknownMethodFirstMiddleware",
    "auctioneer.middleware.EmptyErrorBodyMiddleware",
]

ROOT_URLCONF = "auctioneer.urls"
WSGI_APPLICATION = "auctioneer.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite in var/ by default; DATABASE_URL (postgres://user@host:port/name) switches.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many gunicorn workers write at once: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no deadlock on lock upgrade), and the
    # busy timeout makes a writer wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("POSTGRES_PREPARED_STATEMENTS", default=True):
        # Server-side parameters, and statements run 5 times on a connection are prepared:
        # PostgreSQL then plans them once. Planning the auction's six-table join took 4.4 ms,
        # running it 0.2 ms (EXPLAIN ANALYZE); GET auctions/{id} fell from 6.5 to 1.7 ms.
        # Off (False) behind a pooler that cannot keep prepared statements (PgBouncer in
        # transaction mode before 1.21).
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
# Persistent connections on both: opening one per request (the SQLite default) cost ~15% of a
# bid's time in `make bench` (docs/benchmarks.md), and on PostgreSQL a connect is dearer still.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "authorization.User"

# --- Caches: shared by every process ----------------------------------------------------
# "default": the throttles' histories. "lists": the explore lists' kept counts and pages
# (auctioneer/pagination.py), apart so that a client walking thousands of pages cannot push
# throttle histories out, and so that those pages (up to ~100 KB each, wanted for 2 s) stay few.
REDIS_URL = env.str("REDIS_URL", default="")
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "auctioneer_cache",
    # Django's default (300) culls a third of the entries on each write past it, and the
    # throttle history of every client active within the last minute must fit. Each write
    # also counts the table, so it is not unbounded: more clients than this, REDIS_URL.
    "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=10_000)},
}
LIST_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "auctioneer_list_cache",
    "OPTIONS": {"MAX_ENTRIES": 1_000},
}
if REDIS_URL:
    REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {"default": REDIS_CACHE, "lists": {**REDIS_CACHE, "KEY_PREFIX": "lists"}}
else:
    CACHES = {"default": DATABASE_CACHE, "lists": LIST_CACHE}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the apps (finders); an empty root is fine
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps' folders so `make start` needs no collectstatic.
WHITENOISE_USE_FINDERS = True

# Request bodies: JSON APIs never need more than this. A larger body is a 413 and a chunked
# one (size unknown) a 411, before anything reads it (auctioneer.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# --- Browser-facing hardening ------------------------------------------------------------
# CSP: only this origin's scripts. Swagger UI and ReDoc (drf-yasg's bundled assets under
# /static/drf-yasg/) set inline styles, draw icons from data: URIs and ReDoc runs a blob: worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# CORS is closed unless origins are configured (comma-separated, e.g. https://app.example.com).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api|o)/.*$"
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key"]
CORS_EXPOSE_HEADERS = ["Retry-After", "Location", "Idempotent-Replayed", "WWW-Authenticate"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Django REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "authorization.authentication.BearerAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["auctioneer.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "auctioneer.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Every time in a response has the same width (microseconds always written), so that times
    # sort as strings too; DRF's default drops ".000000".
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "auctioneer.problems.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "bids": env.str("THROTTLE_BIDS", default="600/min"),
        "auctions": env.str("THROTTLE_AUCTIONS", default="60/min"),
        "writes": env.str("THROTTLE_WRITES", default="300/min"),
        "token_username": env.str("THROTTLE_TOKEN_USERNAME", default="10/min"),
        "token_address": env.str("THROTTLE_TOKEN_ADDRESS", default="60/min"),
        "register": env.str("THROTTLE_REGISTER", default="30/min"),
        "account": env.str("THROTTLE_ACCOUNT", default="10/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

# --- OAuth2 (django-oauth-toolkit) ---------------------------------------------------
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read scope", "write": "Write scope"},
    "DEFAULT_SCOPES": ["read", "write"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("REFRESH_TOKEN_EXPIRE_SECONDS", default=14 * 24 * 3600),
    # A used refresh token is revoked at once (rotation); no grace period.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP) behaviour wherever the spec allows it.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # The spec's contract for token/refresh: the used refresh token stops working and the new
    # pair keeps working. RFC 9700 §4.14.2 reuse detection would also revoke the new pair when
    # the old token is replayed (a client retrying a refresh after a lost answer would be logged
    # out), so it stays off; rotation with no grace period still refuses every replay.
    "REFRESH_TOKEN_REUSE_PROTECTION": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # RFC 9700 §4: only a SHA-256 checksum of each access/refresh token is stored, so a leaked
    # database or backup holds no usable token (oauth2_provider.W006 under --deploy).
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Except the password grant: it is how the Authorization API logs a user in (SPEC.md), so
    # it is allowed here rather than by a default that django-oauth-toolkit 4.0 turns around.
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
    # Also refuses the tokens of a deactivated user (DOT checks is_active only at login).
    "OAUTH2_VALIDATOR_CLASS": "authorization.oauth2_validators.OAuth2Validator",
}
SILENCED_SYSTEM_CHECKS = [
    # The spec's Authorization API exchanges username + password for tokens: the resource
    # owner password credentials grant is the contract (SPEC.md, "Authorization API").
    "oauth2_provider.W002",
    # Refresh-token reuse detection is off on purpose (see OAUTH2_PROVIDER above).
    "oauth2_provider.W007",
]
# /o/authorize/ and /o/applications/ need a signed-in session: Django's admin login.
LOGIN_URL = "/admin/login/"
OAUTH_CLIENT_ID = env.str("OAUTH_CLIENT_ID", default="")
OAUTH_CLIENT_SECRET = env.str("OAUTH_CLIENT_SECRET", default="")
OAUTH_TOKEN_URL = env.str("OAUTH_TOKEN_URL", default="")
OAUTH_TOKEN_REVOKE_URL = env.str("OAUTH_TOKEN_REVOKE_URL", default="")
OAUTH_HTTP_TIMEOUT = env.float("OAUTH_HTTP_TIMEOUT", default=5.0)

# --- Auctions --------------------------------------------------------------------------
# Bid increments by current price (upper bound exclusive, increment), in currency units.
# The last row (None) applies to every price above the one before it.
AUCTION_BID_INCREMENTS: list[tuple[Decimal | None, Decimal]] = [
    (Decimal("1"), Decimal("0.05")),
    (Decimal("5"), Decimal("0.25")),
    (Decimal("25"), Decimal("0.50")),
    (Decimal("100"), Decimal("1")),
    (Decimal("250"), Decimal("2.50")),
    (Decimal("500"), Decimal("5")),
    (Decimal("1000"), Decimal("10")),
    (Decimal("2500"), Decimal("25")),
    (Decimal("5000"), Decimal("50")),
    (None, Decimal("100")),
]
AUCTION_MAX_DURATION = timedelta(days=365)
AUCTION_MAX_EXTENSION_SECONDS = 3600
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# The big public lists (explore auctions, explore items) serve a `count` of at least
# LIST_COUNT_CACHE_MIN_COUNT from the shared cache for up to LIST_COUNT_CACHE_SECONDS (0: count
# every time); smaller counts are always exact (auctioneer/pagination.py says why).
LIST_COUNT_CACHE_SECONDS = env.int("LIST_COUNT_CACHE_SECONDS", default=5)
LIST_COUNT_CACHE_MIN_COUNT = env.int("LIST_COUNT_CACHE_MIN_COUNT", default=1000)
# A page of such a list is answered from the shared cache for LIST_PAGE_CACHE_SECONDS (0: never).
# Both are kept in CACHES["lists"].
LIST_PAGE_CACHE_SECONDS = env.int("LIST_PAGE_CACHE_SECONDS", default=1)

# --- Mail --------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)  # SMTPS (port 465); at most one of the two
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Auctioneer <noreply@localhost>")

# --- Workers -----------------------------------------------------------------------------
# django-crontab (`make install-crontab`): one `close_auctions` pass a minute, for hosts that
# run cron instead of `run_workers`. Cron starts the job without your shell's environment:
# it sees `.env` (and DJANGO_SETTINGS_MODULE as it was at install time), nothing else.
CRONJOBS = [
    ("* * * * *", "django.core.management.call_command", ["close_auctions"]),
]
CRONTAB_EXECUTABLE = shutil.which("crontab") or "/usr/bin/crontab"
CRONTAB_DJANGO_SETTINGS_MODULE = env.str("DJANGO_SETTINGS_MODULE", default="") or None
CRONTAB_COMMAND_SUFFIX = f">> {shlex.quote(str(VAR_DIR / 'log' / 'cron.log'))} 2>&1"
# Passes are safe to overlap; the lock only keeps a slow one from piling up on one host.
CRONTAB_LOCK_JOBS = True

# --- API docs ----------------------------------------------------------------------------
SWAGGER_USE_COMPAT_RENDERERS = False
SWAGGER_SETTINGS = {
    "SECURITY_DEFINITIONS": {
        "Bearer": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "description": "OAuth2 access token: `Bearer <access_token>` (get one from POST /api/auth/token).",
        }
    },
    "USE_SESSION_AUTH": False,
    "DEFAULT_INFO": "auctioneer.urls.api_info",
    "DEFAULT_GENERATOR_CLASS": "auctioneer.schema.SchemaGenerator",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {
        # DOT logs a notice on every password-grant login (RFC 9700 discourages the grant);
        # the grant is the contract here (see SILENCED_SYSTEM_CHECKS), so the notice is noise.
        "password_grant_notice": {
            "()": "django.utils.log.CallbackFilter",
            "callback": lambda record: "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT" not in record.getMessage(),
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "oauth2_provider": {"filters": ["password_grant_notice"]},
    },
}
