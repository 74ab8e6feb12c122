"""Settings from the environment.

DATABASE_URL unset -> an SQLite file under var/ (WAL, IMMEDIATE transactions);
DATABASE_URL=postgres://... -> PostgreSQL. ORDERDESK_ENV=production turns on the
production profile (no debug, secure cookies, secrets required from the environment).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("ORDERDESK_VAR_DIR", REPO_DIR / "var"))

ENV = os.environ.get("ORDERDESK_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = os.environ.get("DEBUG", "0" if PRODUCTION else "1") == "1" and not PRODUCTION

if PRODUCTION:
    # security: the key only ever comes from the environment; refuse to start without one
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("production needs SECRET_KEY (50+ random characters) set")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "orderdesk.core",
    "orderdesk.audit",
    "orderdesk.catalog",
    "orderdesk.customers",
    "orderdesk.pricing",
    "orderdesk.receivables",
    "orderdesk.approvals",
    "orderdesk.credit",
    "orderdesk.orders",
    "orderdesk.billing",
    "orderdesk.fulfillment",
    "orderdesk.payments",
    "orderdesk.demo",
    "orderdesk.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # security: a number too large for the database is a 400, not a 500 (core/middleware.py)
    "orderdesk.core.middleware.BadInputMiddleware",
]

ROOT_URLCONF = "orderdesk.urls"
WSGI_APPLICATION = "orderdesk.wsgi.application"

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
                "django.template.context_processors.i18n",
                "orderdesk.core.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "orderdesk.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue (busy timeout) instead of deadlocking on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
        }
    )
DATABASES["default"].setdefault("TEST", {})
DATABASES["default"]["TEST"].setdefault("SERIALIZE", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reports read from a streaming replica when one is configured (orderdesk/reports/routers.py);
# without DATABASE_REPLICA_URL everything reads and writes "default" as before.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["orderdesk.reports.routers.ReportsReplicaRouter"]

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# security: Django's user/password check plus the log-in lock-out (orderdesk/core/auth.py)
AUTHENTICATION_BACKENDS = ["orderdesk.core.auth.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", _("Ukrainian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Kyiv")
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", REPO_DIR / "staticfiles"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# --- cache ----------------------------------------------------------------------------------
# security: the log-in lock-out and the API rates count in this cache (orderdesk/core/auth.py);
# with several application processes it must be one cache for all of them (docs/security.md).
# ORDERDESK_CACHE_URL:
#   locmem://          per process (the development default)
#   db:// | db://TABLE Django's database cache, table `orderdesk_cache` by default (the
#                      production default; `orderdesk createcachetable` creates it)
#   redis://HOST:PORT/N Django's RedisCache (needs the `redis` package, not installed here)
def _cache_from_url(url: str) -> dict:
    scheme, _sep, rest = url.partition("://")
    if scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": rest or "orderdesk",
        }
    if scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": rest.strip("/") or "orderdesk_cache",
            # Django culls a third of the entries past MAX_ENTRIES (default 300): lock-out
            # counters must not be culled by a burst of other keys
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    if scheme in ("redis", "rediss", "unix"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"ORDERDESK_CACHE_URL: {url!r} is not locmem://, db://[table] or redis://..."
    )


CACHE_URL = os.environ.get("ORDERDESK_CACHE_URL", "db://" if PRODUCTION else "locmem://")
CACHES = {"default": _cache_from_url(CACHE_URL)}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orderdesk.core.auth.TokenWithRoles",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "orderdesk.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orderdesk.core.api.exception_handler",
    # security: request rates from ORDERDESK["API_RATE_USER"/"API_RATE_ANON"] (empty = off)
    "DEFAULT_THROTTLE_CLASSES": [
        "orderdesk.core.auth.ApiUserRateThrottle",
        "orderdesk.core.auth.ApiAnonRateThrottle",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "orderdesk API",
    "DESCRIPTION": "Customer orders from quote to cash. Errors: {code, detail, fields}.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orderdesk.orders.choices.OrderStatus",
        "FulfillmentStatusEnum": "orderdesk.orders.choices.FulfillmentStatus",
        "PaymentStatusEnum": "orderdesk.orders.choices.PaymentStatus",
        # several models have a "kind": each choice set gets its own schema name
        "PaymentMethodKindEnum": "orderdesk.customers.choices.PaymentMethodKind",
        "StockMoveKindEnum": "orderdesk.fulfillment.models.MoveKind",
        "ApprovalRuleKindEnum": "orderdesk.approvals.models.RuleKind",
        "OpenItemKindEnum": "orderdesk.receivables.models.ItemKind",
        "InvoiceKindEnum": "orderdesk.billing.models.InvoiceKind",
        "SecurityEventKindEnum": "orderdesk.payments.choices.SecurityKind",
        "IntermediaryKindEnum": "orderdesk.payments.choices.IntermediaryKind",
        "IntermediaryEntryKindEnum": "orderdesk.payments.choices.EntryKind",
        "DiscountPolicyKindEnum": "orderdesk.pricing.choices.DiscountKind",
        "PriceListKindEnum": "orderdesk.pricing.choices.PriceListKind",
    },
}

# --- business settings ----------------------------------------------------------------------
ORDERDESK = {
    "BASE_CURRENCY": os.environ.get("ORDERDESK_BASE_CURRENCY", "UAH"),
    # serialization failures / deadlocks / "database is locked": retried this many times
    "DB_RETRIES": int(os.environ.get("ORDERDESK_DB_RETRIES", "5")),
    # security (docs/security.md): log-in lock-out per user name + address, and API rates
    # ("3000/minute"; empty = off; on by default in production only, so load tests measure
    # the application and not the limiter)
    "LOGIN_FAILURE_LIMIT": int(os.environ.get("ORDERDESK_LOGIN_FAILURE_LIMIT", "5")),
    "LOGIN_FAILURE_WINDOW": int(os.environ.get("ORDERDESK_LOGIN_FAILURE_WINDOW", "900")),
    "CLIENT_IP_HEADER": os.environ.get("ORDERDESK_CLIENT_IP_HEADER", ""),
    "API_RATE_USER": os.environ.get("ORDERDESK_API_RATE_USER", "3000/minute" if PRODUCTION else ""),
    "API_RATE_ANON": os.environ.get("ORDERDESK_API_RATE_ANON", "60/minute" if PRODUCTION else ""),
}

# --- payment services (orderdesk.payments, docs/apps/payments.md) ---------------------------
# Base URLs and keys from the environment. Outside production the keys default to test values
# that only a sandbox or the tests' local fake provider accepts; in production an unset key
# leaves that provider switched off.
PAYMENT_PROVIDERS = {
    # where the providers send the customer back and post their callbacks / webhooks
    "PUBLIC_URL": os.environ.get(
        "ORDERDESK_PUBLIC_URL", "" if PRODUCTION else "http://127.0.0.1:8000"
    ),
    "TIMEOUT": float(os.environ.get("PAYMENT_PROVIDER_TIMEOUT", "8")),
    "LINK_VALIDITY_HOURS": int(os.environ.get("PAYMENT_LINK_VALIDITY_HOURS", "72")),
    "WEBHOOK_TOLERANCE": int(os.environ.get("PAYMENT_WEBHOOK_TOLERANCE", "300")),
    "liqpay": {
        "BASE_URL": os.environ.get("LIQPAY_BASE_URL", "https://www.liqpay.ua"),
        "PUBLIC_KEY": os.environ.get(
            "LIQPAY_PUBLIC_KEY", "" if PRODUCTION else "sandbox_i00000000"
        ),
        "PRIVATE_KEY": os.environ.get(
            "LIQPAY_PRIVATE_KEY", "" if PRODUCTION else "sandbox_orderdesk_test_private_key"
        ),
        "SANDBOX": os.environ.get("LIQPAY_SANDBOX", "0" if PRODUCTION else "1") == "1",
    },
    "monobank": {
        "BASE_URL": os.environ.get("MONOBANK_BASE_URL", "https://api.monobank.ua"),
        "TOKEN": os.environ.get("MONOBANK_TOKEN", "" if PRODUCTION else "orderdesk-test-token"),
    },
    "stripe": {
        "BASE_URL": os.environ.get("STRIPE_BASE_URL", "https://api.stripe.com"),
        "SECRET_KEY": os.environ.get(
            "STRIPE_SECRET_KEY", "" if PRODUCTION else "sk_test_orderdesk"
        ),
        # several endpoint secrets while one is rolled over: comma-separated
        "WEBHOOK_SECRET": os.environ.get(
            "STRIPE_WEBHOOK_SECRET", "" if PRODUCTION else "whsec_orderdesk_test"
        ),
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"orderdesk.security": {"level": "INFO"}},
}

# --- production hardening --------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
