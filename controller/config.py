"""Configuration read from the environment.

Every variable is listed in `.env.example`. Nothing here holds a secret: a
missing `JWT_SECRET_KEY` gets a random per-process key (tokens then die with
the process), which is right for the embedded default and wrong for a
deployment, so `create_app` logs a warning.
"""

import json
import math
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))
DEFAULT_SESSION_IMAGES = json.dumps([
    {"name": "lab/jupyterlab:latest", "port": 8888, "label": "JupyterLab"},
    {"name": "jupyter/base-notebook:latest", "port": 8888, "label": "Jupyter notebook", "secret": "jupyter"},
    {"name": "lab/ssh:latest", "port": 2222, "label": "SSH", "http": False, "secret": "password"},
])
# How an image is given its session's secret (see README, "Sessions"):
#   env       SESSION_TOKEN and SESSION_BASE_URL (the generic contract)
#   jupyter   the same, plus JUPYTER_TOKEN and NOTEBOOK_ARGS with the base URL
#   password  the same, plus SESSION_PASSWORD (for images that are not HTTP, e.g. SSH)
SECRET_KINDS = ("env", "jupyter", "password")


class ConfigError(Exception):
    """A setting the controller refuses to start with; the message says which and why."""


JWT_SECRET_MIN_BYTES = 32
CONTROLLER_INSTANCE_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


def check_config(config) -> None:
    """Refuse settings that would make a deployment unsafe or that the
    controller cannot work with. Raises ConfigError: a JWT_SECRET_KEY under
    32 bytes (anyone could brute-force it and sign their own admin token)
    unless INSECURE_DEV is set; approval-round settings out of range
    (`approval_settings`)."""
    key = config.get("JWT_SECRET_KEY") or ""
    if len(key.encode()) < JWT_SECRET_MIN_BYTES and not config.get("INSECURE_DEV"):
        raise ConfigError(
            f"JWT_SECRET_KEY is {len(key.encode())} bytes; use at least {JWT_SECRET_MIN_BYTES} bytes"
            " (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'), or unset it for a"
            " random key per process. INSECURE_DEV=1 accepts a short key (development only).")
    instance = config.get("CONTROLLER_INSTANCE_ID")
    if instance is not None and not CONTROLLER_INSTANCE_ID_RE.match(str(instance)):
        raise ConfigError(f"CONTROLLER_INSTANCE_ID is {instance!r}; use 1-32 letters or digits.")
    approval_settings(config)


APPROVAL_MODES = ("on_arrival", "rounds")
# (key, setting, lowest allowed value) of the approval-round numbers.
APPROVAL_NUMBERS = (("decide_hours", "APPROVAL_DECIDE_HOURS", 0),
                    ("round_minutes", "APPROVAL_ROUND_MINUTES", 1),
                    ("lookahead_hours", "APPROVAL_ROUND_LOOKAHEAD_HOURS", 0),
                    ("time_limit_ms", "APPROVAL_ROUND_TIME_LIMIT_MS", 1),
                    ("core_hour_weight", "APPROVAL_ROUND_CORE_HOUR_WEIGHT", 0),
                    ("at_once_max_cores", "APPROVAL_AT_ONCE_MAX_CORES", 0))


def approval_settings(config) -> dict:
    """The approval-round settings (services/approval_rounds.py), checked:
    {"mode", "decide_hours", "round_minutes", "lookahead_hours",
    "time_limit_ms", "core_hour_weight", "at_once_max_cores"}. Raises ConfigError naming the
    setting that is wrong and what it must be."""
    mode = str(config.get("APPROVAL_MODE", "on_arrival")).strip()
    if mode not in APPROVAL_MODES:
        raise ConfigError(f"APPROVAL_MODE is {mode!r}; use one of {', '.join(APPROVAL_MODES)}.")
    values: dict = {"mode": mode}
    for key, name, low in APPROVAL_NUMBERS:
        try:
            value = float(config.get(name))
        except (TypeError, ValueError):
            raise ConfigError(f"{name} is {config.get(name)!r}; it must be a number.") from None
        if not math.isfinite(value) or value < low:
            raise ConfigError(f"{name} is {value:g}; it must be a number of at least {low}.")
        values[key] = value
    return values


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def session_image(entry: dict) -> dict:
    """One `SESSION_IMAGES` entry with every field filled in:
    `{name, port, label, http, secret, strip_prefix}`. `http` (default: it
    has a port) says the session is a web app opened with Connect;
    `strip_prefix` says the proxy removes `/sessions/<id>` before passing a
    request on (for apps that cannot serve under a base URL). Raises
    ValueError for an entry that makes no sense."""
    name = str(entry.get("name") or "").strip()
    port = entry.get("port")
    if not name or (port is not None and not (isinstance(port, int) and 0 < port < 65536)):
        raise ValueError(f"SESSION_IMAGES: bad entry {entry!r}")
    http = bool(entry.get("http", port is not None))
    secret = entry.get("secret") or ("env" if http else "password")
    if secret not in SECRET_KINDS or (http and port is None):
        raise ValueError(f"SESSION_IMAGES: bad entry {entry!r}")
    return {"name": name, "port": port, "label": str(entry.get("label") or name), "http": http,
            "secret": secret, "strip_prefix": bool(entry.get("strip_prefix", False))}


def parse_session_images(spec: str) -> list[dict]:
    """Parse `SESSION_IMAGES`, keeping order (the first is the default): a JSON
    array of entries (see `session_image`), or the short form
    `image=port,image=port` (a missing port means the image serves none)."""
    spec = spec.strip()
    if spec.startswith("["):
        return [session_image(entry) for entry in json.loads(spec)]
    images = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, port = item.rpartition("=") if "=" in item else (item, "", "")
        images.append(session_image({"name": name.strip(), "port": int(port) if port.strip() else None}))
    return images


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'booking.db'}"
    return engine_url(url)


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for a database URL. A Postgres URL that names no
    driver gets psycopg 3, which prepares a statement on the server once a
    connection has run it a few times (`prepare_threshold`): the hot
    statements (a booking request's) are then planned once per connection,
    not on every request, which cuts Postgres's CPU per booking request by a third.
    Heroku-style URLs name the dialect "postgres", which SQLAlchemy dropped."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


class Config:
    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS.update(
                pool_size=env_int("DB_POOL_SIZE", 10), max_overflow=env_int("DB_MAX_OVERFLOW", 20)
            )
        self.REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None

        self.JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY", "").strip() or None
        self.JWT_SECRET_IS_EPHEMERAL = self.JWT_SECRET_KEY is None
        # Development only: accept a JWT_SECRET_KEY under 32 bytes (see check_config).
        self.INSECURE_DEV = env_bool("INSECURE_DEV", False)
        if self.JWT_SECRET_IS_EPHEMERAL:
            self.JWT_SECRET_KEY = secrets.token_urlsafe(48)
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15))
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_DAYS", 7))

        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "booking")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Failed logins per IP and username, failed logins per username from
        # any address, and a generous ceiling on all attempts from one address
        # (a class behind one NAT address logs in at once).
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.LOGIN_USERNAME_RATE_LIMIT = os.environ.get("LOGIN_USERNAME_RATE_LIMIT", "30 per 15 minutes")
        self.LOGIN_IP_RATE_LIMIT = os.environ.get("LOGIN_IP_RATE_LIMIT", "600 per minute")
        # Forgotten-password requests per IP and per address, and how long a link lasts.
        self.FORGOT_RATE_LIMIT = os.environ.get("FORGOT_RATE_LIMIT", "5 per hour")
        self.PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)
        self.REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "20 per hour")

        self.TRUST_PROXY_HOPS = env_int("TRUST_PROXY_HOPS", 0)
        self.CORS_ORIGINS = [o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()]
        self.MAX_CONTENT_LENGTH = 64 * 1024

        self.SESSION_IMAGES = parse_session_images(
            os.environ.get("SESSION_IMAGES", DEFAULT_SESSION_IMAGES)
        )
        # `direct`: Connect links go straight to the node's session port, guarded by
        # the session's secret (the embedded default); `traefik`: they go through
        # the proxy at PUBLIC_URL + /sessions/<id>/, which admits the owner only.
        self.SESSION_PROXY = os.environ.get("SESSION_PROXY", "direct").strip().lower() or "direct"
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "").strip().rstrip("/")
        # Traefik's HTTP provider polls /api/internal/proxy-routes with this bearer
        # token (unset: that endpoint answers 404); the routes it gets use these
        # entry points and the owner check defined in deploy/traefik/dynamic.
        self.PROXY_TOKEN = os.environ.get("PROXY_TOKEN") or None
        self.PROXY_ENTRYPOINTS = env_list("PROXY_ENTRYPOINTS", "web,websecure")
        self.PROXY_TLS_ENTRYPOINTS = env_list("PROXY_TLS_ENTRYPOINTS", "websecure")
        self.PROXY_AUTH_MIDDLEWARE = os.environ.get("PROXY_AUTH_MIDDLEWARE", "session-owner@file")
        # Behind the owner check: while the session's app does not answer yet (it
        # boots after the start), the browser gets a page that reloads by itself,
        # not the proxy's bare "Bad Gateway". Empty: no such page.
        self.PROXY_STARTING_MIDDLEWARE = os.environ.get("PROXY_STARTING_MIDDLEWARE",
                                                        "session-starting@file").strip()
        self.BOOKING_MAX_HOURS = env_float("BOOKING_MAX_HOURS", 72)
        self.BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 30)
        self.BOOKING_MIN_MINUTES = env_int("BOOKING_MIN_MINUTES", 15)
        self.BOOKING_MIN_MEMORY_GB = env_float("BOOKING_MIN_MEMORY_GB", 0.5)
        self.PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
        self.DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 5000)
        # How the placement gate picks a node (best_fit, spread, first_fit), and
        # how long repacking may search (exactly for at most REPACK_EXACT_MAX
        # bookings, greedily beyond) before it gives up.
        self.PLACEMENT_POLICY = os.environ.get("PLACEMENT_POLICY", "best_fit").strip() or "best_fit"
        self.REPACK_ENABLED = env_bool("REPACK_ENABLED", True)
        self.REPACK_TIME_LIMIT_MS = env_int("REPACK_TIME_LIMIT_MS", 250)
        self.REPACK_EXACT_MAX = env_int("REPACK_EXACT_MAX", 40)
        # How long the slot finder may spend trying windows that need repacking.
        self.SLOT_SEARCH_MS = env_int("SLOT_SEARCH_MS", 20)
        # When a policy's auto-approval decides (services/approval_rounds.py):
        # on_arrival (at once) or rounds (requests starting later than
        # APPROVAL_DECIDE_HOURS from now wait for the round, every
        # APPROVAL_ROUND_MINUTES, that decides them together with the pending
        # ones starting up to APPROVAL_ROUND_LOOKAHEAD_HOURS later; each
        # request weighs 100 + APPROVAL_ROUND_CORE_HOUR_WEIGHT x its core-hours).
        # Requests of at most APPROVAL_AT_ONCE_MAX_CORES cores and no GPU are
        # decided at once even then (0: every request starting later waits).
        self.APPROVAL_MODE = os.environ.get("APPROVAL_MODE", "on_arrival").strip() or "on_arrival"
        self.APPROVAL_DECIDE_HOURS = env_float("APPROVAL_DECIDE_HOURS", 4)
        self.APPROVAL_ROUND_MINUTES = env_float("APPROVAL_ROUND_MINUTES", 120)
        self.APPROVAL_ROUND_LOOKAHEAD_HOURS = env_float("APPROVAL_ROUND_LOOKAHEAD_HOURS", 72)
        self.APPROVAL_ROUND_TIME_LIMIT_MS = env_float("APPROVAL_ROUND_TIME_LIMIT_MS", 2000)
        self.APPROVAL_ROUND_CORE_HOUR_WEIGHT = env_float("APPROVAL_ROUND_CORE_HOUR_WEIGHT", 5)
        self.APPROVAL_AT_ONCE_MAX_CORES = env_int("APPROVAL_AT_ONCE_MAX_CORES", 4)

        self.ADMIN_USERNAME = os.environ.get("ADMIN_USERNAME", "admin").strip() or "admin"
        self.ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD") or None
        self.ADMIN_EMAIL = os.environ.get("ADMIN_EMAIL", "").strip() or None

        # Email: off when SMTP_URL is unset. smtp://[user:pass@]host[:port]
        # (add ?starttls=true to upgrade) or smtps:// for TLS from the start.
        self.SMTP_URL = os.environ.get("SMTP_URL", "").strip() or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "").strip() or "Compute booking <booking@localhost>"
        self.SMTP_TIMEOUT_SECONDS = env_float("SMTP_TIMEOUT_SECONDS", 10)
        # Times in mail are the lab's local time.
        self.LAB_TIMEZONE = os.environ.get("LAB_TIMEZONE", "").strip() or "UTC"
        self.MAIL_SEND_SECONDS = env_float("MAIL_SEND_SECONDS", 10)
        self.REMINDER_CHECK_SECONDS = env_float("REMINDER_CHECK_SECONDS", 30)
        self.MAIL_RETRY_BASE_SECONDS = env_float("MAIL_RETRY_BASE_SECONDS", 30)
        self.MAIL_RETRY_MAX_SECONDS = env_float("MAIL_RETRY_MAX_SECONDS", 3600)
        self.MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 12)

        self.SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", True)
        # How often the start/stop tick runs; the other jobs' intervals.
        self.SCHEDULER_TICK_SECONDS = env_float("SCHEDULER_TICK_SECONDS", 1)
        self.HEALTH_CHECK_SECONDS = env_float("HEALTH_CHECK_SECONDS", 60)
        self.RECONCILE_SECONDS = env_float("RECONCILE_SECONDS", 60)
        # How often pending bookings inside a policy's auto-approval bounds are tried again.
        self.AUTO_APPROVE_RETRY_SECONDS = env_float("AUTO_APPROVE_RETRY_SECONDS", 60)
        # How often the scheduler looks for approval rounds that are due.
        self.APPROVAL_ROUND_CHECK_SECONDS = env_float("APPROVAL_ROUND_CHECK_SECONDS", 60)
        self.WOL_CHECK_SECONDS = env_float("WOL_CHECK_SECONDS", 15)
        # Wake a sleeping node this long before its booking starts, and send
        # at most one packet per node per resend interval.
        self.WOL_LEAD_MINUTES = env_float("WOL_LEAD_MINUTES", 10)
        self.WOL_RESEND_SECONDS = env_float("WOL_RESEND_SECONDS", 120)
        # Retry a failed container start with backoff (base, cap) until this
        # long after the booking's start, then mark it failed.
        self.START_RETRY_BASE_SECONDS = env_float("START_RETRY_BASE_SECONDS", 2)
        self.START_RETRY_MAX_SECONDS = env_float("START_RETRY_MAX_SECONDS", 60)
        self.START_DEADLINE_SECONDS = env_float("START_DEADLINE_SECONDS", 300)
        # Keep retrying a failed stop this long after the end, then close the
        # booking anyway (the reconcile job removes the container later).
        self.STOP_DEADLINE_SECONDS = env_float("STOP_DEADLINE_SECONDS", 300)
        self.AGENT_TIMEOUT_SECONDS = env_float("AGENT_TIMEOUT_SECONDS", 10)
        # This installation's id in its session containers' names and labels
        # (1-32 letters or digits); unset: a random one kept in the settings
        # table (services/lifecycle.instance_id).
        self.CONTROLLER_INSTANCE_ID = os.environ.get("CONTROLLER_INSTANCE_ID", "").strip() or None
        self.AGENT_STOP_TIMEOUT_SECONDS = env_int("AGENT_STOP_TIMEOUT_SECONDS", 10)
        self.LIFECYCLE_WORKERS = env_int("LIFECYCLE_WORKERS", 8)
        # Make each session's container this long before its start (paused, so
        # the start is only an unpause); 0 turns preparing off.
        self.SESSION_PREPARE_SECONDS = env_float("SESSION_PREPARE_SECONDS", 30)
        # The Postgres advisory lock key that elects the one scheduler leader.
        self.SCHEDULER_LOCK_KEY = env_int("SCHEDULER_LOCK_KEY", 72_001)
        self.SCHEDULER_ELECTION_SECONDS = env_float("SCHEDULER_ELECTION_SECONDS", 3)
        self.FRONTEND_DIST = os.environ.get(
            "FRONTEND_DIST", str(Path(__file__).resolve().parent.parent / "frontend" / "dist")
        )
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        self.LOG_JSON = env_bool("LOG_JSON", True)

        self.API_TITLE = "Compute booking API"
        self.API_VERSION = "1.0"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "/docs"
        # Swagger UI's assets come from the controller (the pinned swagger-ui-bundle
        # package, see controller/spa.py), so /api/docs works without internet; no
        # badge from the public validator either.
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
        self.OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
        self.API_SPEC_OPTIONS = {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        }
