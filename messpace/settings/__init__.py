"""messpace settings: one module, driven entirely by the environment.

Without any variable set, messpace runs in *embedded* mode: SQLite under
``var/``, Celery tasks executed inline, a local-memory cache and files under
``var/media``. Production differs only by environment values; see
``docs/configuration.md`` for the full table.

Every value comes from the typed readers of :mod:`messpace.settings.env`,
which fail loudly on a bad value. The sections run from Django's own concerns
(core, apps, database, cache, Celery, storage, encryption, authentication,
security, i18n, e-mail, REST API) to the application's, grouped by the app
they serve, then logging.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from messpace import vault
from messpace.settings.env import (
    env_base64_key,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_master_keys,
    env_optional,
    env_str,
)

# Lets the admin and managers be subscripted for typing (ModelAdmin[Patient]).
django_stubs_ext.monkeypatch()

# =============================================================================
# Core: paths, DEBUG and embedded mode, secret key, hosts
# =============================================================================
BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MESSPACE_VAR_DIR", str(BASE_DIR / "var")))

# Development mode (the DEBUG variable): plain-HTTP defaults, e-mail printed to
# the console, static files served from the sources, keys derived from
# SECRET_KEY. Never in production.
DEV_MODE = env_bool("DEBUG", False)
# Django's own DEBUG (technical error pages with tracebacks and the URL list,
# template debugging) is a separate switch, on only in development mode and only
# when asked: the demo shows the project's own error pages.
_tracebacks = env_bool("DEBUG_TRACEBACKS", False)
if _tracebacks and not DEV_MODE:
    raise ImproperlyConfigured(
        "DEBUG_TRACEBACKS=true needs DEBUG=true: tracebacks are never shown in production."
    )
DEBUG = DEV_MODE and _tracebacks
# Embedded mode: no DATABASE_URL, so SQLite under var/ and everything in-process.
EMBEDDED = env_optional("DATABASE_URL") is None

_INSECURE_DEV_KEY = "insecure-embedded-mode-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEV_KEY)
if SECRET_KEY == _INSECURE_DEV_KEY and not EMBEDDED:
    raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# =============================================================================
# Apps and middleware
# =============================================================================
INSTALLED_APPS = [
    "messpace.adminsite.apps.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "qsessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "django_htmx",
    "widget_tweaks",
    "dsfr",
    "messpace.accounts",
    "messpace.directory",
    "messpace.console",
    "messpace.statistics",
    "records",
    "documents",
    "messaging",
    "consent",
    "consent.optout",
    "agenda",
]

MIDDLEWARE = [
    "messpace.accounts.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qsessions.middleware.SessionMiddleware",
    "messpace.locale.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "messpace.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "messpace.urls"
WSGI_APPLICATION = "messpace.wsgi.application"
ASGI_APPLICATION = "messpace.asgi.application"

# =============================================================================
# Templates
# =============================================================================
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "messpace.context_processors.site",
                "messpace.console.context_processors.console",
                "messaging.context_processors.messaging",
            ],
            # The core's libraries: messpace is not an installed app, so not discovered.
            "libraries": {
                "form_errors": "messpace.templatetags.form_errors",
                "grammar": "messpace.templatetags.grammar",
            },
        },
    },
]
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"
# Mark optional fields rather than required ones, as the DSFR now advises.
DSFR_MARK_OPTIONAL_FIELDS = True

# =============================================================================
# Database
# =============================================================================
_database_url = env_optional("DATABASE_URL")
if _database_url:
    DATABASES = {"default": environ.Env.db_url_config(_database_url)}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "messpace.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# =============================================================================
# Cache
# =============================================================================
REDIS_URL = env_optional("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "messpace"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# =============================================================================
# Celery: broker, delivery, queues and routes, periodic tasks
# =============================================================================
CELERY_BROKER_URL = env_optional("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = "Europe/Paris"
# Celery's Django fixup closes the database connection around every task unless
# told to reuse it: a new PostgreSQL connection per document cost ~10 ms.
# Reused for this many tasks, then recycled (CONN_HEALTH_CHECKS still applies).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 200, minimum=0)

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # First match wins: the notice before the rest of documents' tasks.
    "documents.tasks.document_notify": {"queue": "notify"},
    "documents.tasks.*": {"queue": "ingest"},
    "records.tasks.campaign_*": {"queue": "letters"},
    "messaging.tasks.*": {"queue": "notify"},
    "consent.tasks.emergency_*": {"queue": "notify"},
    "consent.tasks.majority_notify": {"queue": "notify"},
    "consent.tasks.care_relationship_notify": {"queue": "notify"},
}

# Periodic work (``celery beat``), all of it here. Every task is safe to run
# twice and catches up after downtime, so a missed or doubled tick does no harm.
CELERY_BEAT_SCHEDULE = {
    # Nightly: guardians lose access at a minor's 18th birthday, everyone told.
    "guardianships-end-at-majority": {
        "task": "consent.tasks.guardianships_end_at_majority",
        "schedule": crontab(hour=2, minute=15),
    },
    # Daily: delete letter batches' files older than MESSPACE_LETTER_RETENTION_DAYS.
    "letter-batches-purge": {
        "task": "records.tasks.letter_batches_purge",
        "schedule": 86400.0,
    },
    # Hourly: erase closed records whose erasure grace period or archive has run out.
    "records-erase-due": {
        "task": "records.tasks.records_erase_due",
        "schedule": 3600.0,
    },
    # Hourly: open the records whose opt-out delay passed without opposition.
    "records-open-due": {
        "task": "records.tasks.records_open_due",
        "schedule": 3600.0,
    },
    # Every 10 minutes: enqueue again a campaign run whose message was lost.
    "campaigns-resume": {
        "task": "records.tasks.campaigns_resume",
        "schedule": 600.0,
    },
    # Nightly: the national figures of the console, computed into their table.
    "figures-refresh": {
        "task": "statistics.figures_refresh",
        "schedule": crontab(hour=3, minute=30),
    },
    # Nightly: forget the sign-in days past their keeping (accounts.SIGN_IN_DAYS_KEPT).
    "sign-in-days-purge": {
        "task": "accounts.sign_in_days_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every 5 minutes: requeue uploads a lost message left waiting for ingestion.
    "uploads-resume": {
        "task": "documents.tasks.uploads_resume",
        "schedule": 300.0,
    },
}

# =============================================================================
# Storage: stored files, static files
# =============================================================================
STORAGE_BACKEND = env_choice("STORAGE_BACKEND", "filesystem", ("filesystem", "s3"))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("STORAGE_S3_BUCKET", ""),
            "endpoint_url": env_optional("STORAGE_S3_ENDPOINT_URL"),
            "region_name": env_optional("STORAGE_S3_REGION"),
            "access_key": env_optional("STORAGE_S3_ACCESS_KEY"),
            "secret_key": env_optional("STORAGE_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _default_storage["OPTIONS"]["bucket_name"]:  # type: ignore[index]
        raise ImproperlyConfigured("STORAGE_S3_BUCKET is required when STORAGE_BACKEND=s3.")
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV_MODE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEV_MODE
WHITENOISE_AUTOREFRESH = DEV_MODE

# =============================================================================
# Encryption at rest (messpace.vault)
# =============================================================================
# Master keys that wrap the per-document data keys: "kid1:base64key,kid2:base64key"
# (32 random bytes each), or MESSPACE_MASTER_KEYS_FILE. MESSPACE_MASTER_KEY_ID
# names the key new data keys are wrapped under; older ones stay for reading
# until ``manage.py rotate_master_key`` has re-wrapped every row.
_master_keys = env_master_keys("MESSPACE_MASTER_KEYS")
if _master_keys is not None:
    MESSPACE_MASTER_KEYS = _master_keys
elif DEV_MODE or EMBEDDED:
    # Development and the embedded demo only: a key derived from SECRET_KEY, so
    # it is stable across restarts but exactly as secret as SECRET_KEY, and
    # documents sealed under it are lost if SECRET_KEY changes.
    MESSPACE_MASTER_KEYS = {vault.DEV_KEY_ID: vault.dev_master_key(SECRET_KEY)}
else:
    raise ImproperlyConfigured(
        "MESSPACE_MASTER_KEYS (or MESSPACE_MASTER_KEYS_FILE) must be set when DEBUG is off "
        "and DATABASE_URL is set: documents are encrypted under these master keys. Format: "
        "key_id:base64key[,key_id:base64key…], each key 32 random bytes in base64."
    )
MESSPACE_MASTER_KEY_ID = env_optional("MESSPACE_MASTER_KEY_ID") or next(iter(MESSPACE_MASTER_KEYS))
if MESSPACE_MASTER_KEY_ID not in MESSPACE_MASTER_KEYS:
    raise ImproperlyConfigured(
        f"MESSPACE_MASTER_KEY_ID={MESSPACE_MASTER_KEY_ID!r} is not a key id of "
        f"MESSPACE_MASTER_KEYS ({', '.join(MESSPACE_MASTER_KEYS)})."
    )

# =============================================================================
# Authentication and sessions
# =============================================================================
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Invitations to choose a password (a young adult's own login at 18) are
# Django password-reset tokens: single use, valid this long.
PASSWORD_RESET_TIMEOUT = 14 * 24 * 3600
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "messpace")

AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The credential axes reads as "username": LoginForm authenticates with email=…
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "messpace.accounts.views.lockout_response"
# Number of reverse proxies in front of Django; TrustedProxyMiddleware then takes
# the client address from X-Forwarded-For (django-ipware is not installed, so
# axes' own AXES_IPWARE_* settings would be ignored).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

SESSION_ENGINE = "qsessions.backends.cached_db"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True  # idle expiry: each request pushes the deadline
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# =============================================================================
# Security (strict unless DEV_MODE)
# =============================================================================
CSRF_FAILURE_VIEW = "messpace.errors.csrf_failure"
_secure = not DEV_MODE and env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEV_MODE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEV_MODE else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEV_MODE
SECURE_HSTS_PRELOAD = not DEV_MODE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# =============================================================================
# Internationalisation
# =============================================================================
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# =============================================================================
# E-mail
# =============================================================================
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEV_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "messpace <ne-pas-repondre@messpace.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# =============================================================================
# REST API (tokens for third-party apps, the session for the portal's own pages)
# =============================================================================
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

# =============================================================================
# Application: site
# =============================================================================
MESSPACE_SITE_NAME = env_str("MESSPACE_SITE_NAME", "messpace")
# Public address of the portal, for links in e-mails (invitations).
MESSPACE_SITE_URL = env_str("MESSPACE_SITE_URL", "http://127.0.0.1:8000")

# =============================================================================
# Application: records
# =============================================================================
MESSPACE_TIMELINE_PAGE_SIZE = env_int("MESSPACE_TIMELINE_PAGE_SIZE", 25, minimum=5)
MESSPACE_SECTION_PAGE_SIZE = env_int("MESSPACE_SECTION_PAGE_SIZE", 25, minimum=5)

# =============================================================================
# Application: consent (emergency access, identity look-ups)
# =============================================================================
# How long an emergency (break-glass) access stays open once granted.
MESSPACE_EMERGENCY_HOURS = env_int("MESSPACE_EMERGENCY_HOURS", 24, minimum=1)
# Record lookups by INS + birth date (care declaration, emergency access) per professional.
MESSPACE_IDENTITY_LOOKUPS_PER_HOUR = env_int("MESSPACE_IDENTITY_LOOKUPS_PER_HOUR", 20, minimum=1)

# =============================================================================
# Application: documents (size, ingestion, malware scanning, search index)
# =============================================================================
# Largest accepted document; uploads stay in memory up to this size and are cut
# off beyond it (messpace/uploads.py), so no health document touches the disk.
MESSPACE_DOCUMENT_MAX_BYTES = env_int("MESSPACE_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_HANDLERS = ["messpace.uploads.BoundedMemoryUploadHandler"]
# An ingestion claim older than this is presumed dead (its worker was killed):
# the upload may be claimed again. Longer than the slowest ingestion.
MESSPACE_INGEST_CLAIM_SECONDS = env_int("MESSPACE_INGEST_CLAIM_SECONDS", 600, minimum=1)

# Uploads are scanned by clamd before they are accepted (documents/scanning.py),
# through a unix socket or over TCP; naming both would leave it ambiguous.
MESSPACE_CLAMAV_SOCKET = env_optional("MESSPACE_CLAMAV_SOCKET")
MESSPACE_CLAMAV_HOST = env_optional("MESSPACE_CLAMAV_HOST")
MESSPACE_CLAMAV_PORT = env_int("MESSPACE_CLAMAV_PORT", 3310, minimum=1)
# Per socket operation; a large PDF takes clamd a few seconds.
MESSPACE_CLAMAV_TIMEOUT = env_int("MESSPACE_CLAMAV_TIMEOUT", 60, minimum=1)
if MESSPACE_CLAMAV_SOCKET and MESSPACE_CLAMAV_HOST:
    raise ImproperlyConfigured("Set MESSPACE_CLAMAV_SOCKET or MESSPACE_CLAMAV_HOST, not both.")
# Without a scanner, documents go in unscanned only with this flag (default: DEV_MODE).
# Otherwise system check documents.E001 stops migrate/runserver/check, and
# scan_bytes() refuses every document (the ingestion task retries).
# Embedded mode (no DATABASE_URL: the demo, a developer's machine) is never
# production, so it needs no scanner either, DEV_MODE or not.
MESSPACE_ALLOW_NO_SCANNER = env_bool("MESSPACE_ALLOW_NO_SCANNER", DEV_MODE or EMBEDDED)

# Key of the blind search index (documents/search.py): base64 of 32 random bytes.
_search_index_key = env_base64_key("MESSPACE_SEARCH_INDEX_KEY", min_bytes=32)
if _search_index_key is not None:
    MESSPACE_SEARCH_INDEX_KEY = _search_index_key
elif DEV_MODE or EMBEDDED:
    # Development and the embedded demo only: as secret as SECRET_KEY, and a
    # change of SECRET_KEY then needs ``manage.py documents_reindex``.
    MESSPACE_SEARCH_INDEX_KEY = hashlib.sha256(
        b"messpace-search-index:" + SECRET_KEY.encode()
    ).digest()
else:
    raise ImproperlyConfigured(
        "MESSPACE_SEARCH_INDEX_KEY must be set when DEBUG is off and DATABASE_URL is set "
        "(base64 of 32 random bytes): it keys the documents' blind search index."
    )

# =============================================================================
# Application: the directory of professionals and structures
# =============================================================================
# Lines of an import of the national directory's extract per transaction.
MESSPACE_DIRECTORY_CHUNK_ROWS = env_int("MESSPACE_DIRECTORY_CHUNK_ROWS", 5000, minimum=1)
# Messaging: threads a professional opens, messages anyone posts, per hour.
MESSPACE_THREADS_PER_HOUR = env_int("MESSPACE_THREADS_PER_HOUR", 60, minimum=1)
MESSPACE_MESSAGES_PER_HOUR = env_int("MESSPACE_MESSAGES_PER_HOUR", 120, minimum=1)
# The largest extract the console takes (the national one weighs about 600 MB).
MESSPACE_DIRECTORY_MAX_BYTES = env_int(
    "MESSPACE_DIRECTORY_MAX_BYTES", 2 * 1024 * 1024 * 1024, minimum=1024
)

# =============================================================================
# Application: opt-out activation (cohorts, notices, campaigns, letters)
# =============================================================================
# Largest CSV of insured persons an admin may import at once (opt-out cohorts).
MESSPACE_COHORT_MAX_BYTES = env_int("MESSPACE_COHORT_MAX_BYTES", 60 * 1024 * 1024, minimum=1024)
# Lines of a cohort import per transaction: progress is committed, and an
# interrupted import resumes, chunk by chunk.
MESSPACE_COHORT_CHUNK_ROWS = env_int("MESSPACE_COHORT_CHUNK_ROWS", 1000, minimum=1)
# Answers to an information notice (public page) per client address.
MESSPACE_NOTICE_ATTEMPTS_PER_HOUR = env_int("MESSPACE_NOTICE_ATTEMPTS_PER_HOUR", 10, minimum=1)
# Notices issued per transaction of a campaign (so letters per PDF, at most).
MESSPACE_CAMPAIGN_BATCH_SIZE = env_int("MESSPACE_CAMPAIGN_BATCH_SIZE", 1000, minimum=1)
# Days the letter batches' files (names, addresses, codes) are kept for the print
# house; the beat task letter-batches-purge then deletes them.
MESSPACE_LETTER_RETENTION_DAYS = env_int("MESSPACE_LETTER_RETENTION_DAYS", 90, minimum=7)

# =============================================================================
# Application: record lifecycle (closure, erasure)
# =============================================================================
# Days between a request to erase a closed record and its erasure (the beat task
# records-erase-due), during which the holder may reopen it; the law (R1111-36)
# allows three months at most.
MESSPACE_ERASURE_GRACE_DAYS = env_int(
    "MESSPACE_ERASURE_GRACE_DAYS",
    30,
    minimum=0,
    maximum=80,
    maximum_reason="a record must be erased within three months of the request",
)

# =============================================================================
# Logging
# =============================================================================
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every page of a letter batch at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
