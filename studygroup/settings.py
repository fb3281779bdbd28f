"""Settings for the study-group archive, all read from the environment.

Unset, everything falls back to a local development setup on SQLite, so a fresh
checkout runs with no configuration. Production sets DEBUG=0, SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL=postgres://…
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envint(name, default, minimum=0, maximum=None):
    value = os.environ.get(name, default).strip()
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}")
    return number


def envorigins(name, default):
    origins = envlist(name, default)
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if scheme not in ("http", "https") or not host or "/" in host:
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://study.example.org (no path), not {origin!r}"
            )
    return origins


DEBUG = envbool("DEBUG", "1")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-secret-key-never-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "taggit",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "discussions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware, so its page is in the reader's language.
    "discussions.middleware.refuse_control_characters",  # a NUL in a URL is a 400, not a 500
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware, which reads request.POST: a body too large is never read.
    "studygroup.middleware.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a fragment for in-place swaps
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the login view's response: a lockout becomes the login page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studygroup.urls"

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
                "discussions.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "studygroup.wsgi.application"

# SQLite under the project by default so check-out-and-run works; PostgreSQL in production.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("CONN_MAX_AGE", "60"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A write takes SQLite's write lock when it begins, not at its first write: two writers
    # then queue instead of one failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` writes here (hashed, compressed names when DEBUG=0); whitenoise serves it.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
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
# Attachments (the paper's PDF, slides, figures: discussions.attachments) go through the default
# storage: a folder here, or an S3 bucket (django-storages) when AWS_STORAGE_BUCKET_NAME is set,
# with AWS_S3_REGION_NAME, AWS_S3_ENDPOINT_URL and the usual AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
# (boto3 reads those two itself). The app serves the files (discussions.views.attachment_file), so
# the bucket stays private.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "data" / "media"))
MEDIA_URL = "media/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Work done outside a request (discussions.tasks: indexing a PDF's pages) waits in the database
# until `manage.py db_worker` runs it (docs/operations-worker.md): no service besides the database.
# TASKS_BACKEND=immediate runs it inside the request instead (the tests; a quick try without a worker).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# A PDF's index is read in a child process the kernel stops at these limits (discussions.pdfindex):
# processor seconds, and megabytes of address space. A real paper takes a second or two.
PDF_INDEX_CPU_SECONDS = envint("PDF_INDEX_CPU_SECONDS", "20", minimum=1)
PDF_INDEX_MEMORY_MB = envint("PDF_INDEX_MEMORY_MB", "512", minimum=128)

# Rendered pages are cached (discussions.caching); Redis shares them between worker processes.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Per worker process: bounded in bytes (studygroup/locmem.py), least recently used out first.
    CACHES = {
        "default": {
            "BACKEND": "studygroup.locmem.BoundedLocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000, "MAX_BYTES": envint("CACHE_MB", "32", minimum=1) << 20},
        }
    }

# Sessions live in the database, so logging out ends a session in every worker process and on
# every server at once. With Redis, which all processes share, they are read from it first (a
# query less on every member's request); a per-process memory cache would keep a logged-out
# session alive in the other processes.
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if REDIS_URL else 'db'}"

TAGGIT_CASE_INSENSITIVE = True
# History versions are written by discussions.writes alone (writes.core.record), once per changed
# row, with the user, reason and date passed: the library's own recording on every save and delete
# (its post_save/post_delete signals) is off, so no save elsewhere records one behind a write's back.
SIMPLE_HISTORY_ENABLED = False
# Keyword rules that give imported questions their topics (see the file's comments).
TOPIC_RULES = BASE_DIR / os.environ.get("TOPIC_RULES", "fixtures/topics.toml")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "discussions:open"
LOGOUT_REDIRECT_URL = "discussions:home"
# Where invite links point; the invite command prints links under it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Password-reset mail goes to the console until SMTP is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25", minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "studygroup@localhost")

# Behind a TLS-terminating proxy (docs/operations.md), Django sees plain HTTP from the proxy:
# PROXY_COUNT says how many proxies stand in front of gunicorn. They must overwrite
# X-Forwarded-Proto and append the client's address to X-Forwarded-For; both are trusted only then.
PROXY_COUNT = envint("PROXY_COUNT", "0")
if PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Origins whose forms may POST here (CSRF's Origin check), when the proxy does not pass Host as is.
CSRF_TRUSTED_ORIGINS = envorigins("CSRF_TRUSTED_ORIGINS", SITE_URL if SITE_URL.startswith("https://") else "")

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "0" if DEBUG else "1")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
# HSTS: browsers then refuse plain HTTP to this host (and its subdomains) for that long. Off while
# debugging, where the site is http://127.0.0.1; a year in production, as check --deploy asks.
# `preload` only says the site consents to the browsers' preload list: nothing is listed until
# someone submits the domain (only a registrable domain can be), so it is on by default too.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "0" if DEBUG else "1")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "0" if DEBUG else "1")

# The pages have no inline script or style and load nothing from elsewhere, so the policy can
# be strict. Images in posts may come from any HTTPS site (a body's Markdown can link one).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The reading view shows the paper's PDF, served by this site, in an <iframe>.
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Nothing here uses these browser features; no page, nor anything injected into one, may ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment", "usb",
    )
}  # fmt: skip

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one account (however it is
# named: username or email) or from one address, logins there are refused for LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any hashing
    "discussions.accounts.UsernameOrEmailBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5", minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", "15", minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "discussions.accounts.lockout_username"
AXES_CLIENT_IP_CALLABLE = "discussions.accounts.client_ip"
AXES_LOCKOUT_CALLABLE = "discussions.accounts.locked_out"
# Every page's CSRF failure, in the site's layout, saying what was lost and how to get it back.
CSRF_FAILURE_VIEW = "discussions.errors.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
