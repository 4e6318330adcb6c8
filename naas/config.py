"""Settings from the environment (NAAS_*), with defaults that are safe to run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _beside_code(name: str) -> Path:
    """`templates/` and `question_bank/` sit at the top of a checkout; a wheel maps them into
    the package (pyproject.toml), so an installed `naas` finds them beside its code."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PROJECT_ROOT / name


TEMPLATES = _beside_code("templates")
BUNDLED_BANK = _beside_code("question_bank")

ENVIRONMENTS = ("production", "demo", "testing")


class ConfigError(RuntimeError):
    """A setting is missing or wrong: the message says which and how to fix it."""


def from_environment(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    env = environ.get("NAAS_ENV", "production")
    base_url = environ.get("NAAS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = environ.get("NAAS_HTTPS", "1" if base_url.startswith("https://") else "0") == "1"
    return {
        "NAAS_ENV": env,
        "SECRET_KEY": environ.get("NAAS_SECRET_KEY"),
        # Earlier secret keys, comma separated, newest first: sessions, form tokens and sealed
        # outbox links made under them still open after a rotation (docs/operations.md).
        "SECRET_KEY_FALLBACKS": _list(environ, "NAAS_SECRET_KEY_FALLBACKS"),
        "NAAS_DATABASE_URL": environ.get(
            "NAAS_DATABASE_URL", f"sqlite:///{Path(instance_path) / 'naas.sqlite3'}"
        ),
        # 0 behind PgBouncer in transaction mode (docs/deployment.md): a statement prepared on
        # one server connection is unknown on the next, so psycopg must prepare none.
        "NAAS_DATABASE_PREPARED_STATEMENTS": _on_off(
            environ, "NAAS_DATABASE_PREPARED_STATEMENTS", True
        ),
        "NAAS_BANK_PATH": environ.get("NAAS_BANK_PATH", str(BUNDLED_BANK)),
        "NAAS_REDIS_URL": _redis_url(environ),
        # How many worker processes will serve (`naas serve --workers` sets it for its workers).
        "NAAS_WORKERS": _worker_count(environ),
        # Settings that only work on one machine, allowed knowingly (a one-box pilot).
        "NAAS_ALLOW_SQLITE": environ.get("NAAS_ALLOW_SQLITE", "") == "1",
        "NAAS_ALLOW_LOCAL_LIMITS": environ.get("NAAS_ALLOW_LOCAL_LIMITS", "") == "1",
        # How many reverse proxies (load balancer, ingress) stand in front of the app. Only then
        # are X-Forwarded-For and X-Forwarded-Proto believed: the client address that rate limits
        # count, and whether the request came over https. 0 (the default) ignores them, so a
        # client cannot dodge a limit by making the header up.
        "NAAS_PROXY_HOPS": _whole_number(environ, "NAAS_PROXY_HOPS", 0),
        "NAAS_BASE_URL": base_url,
        "NAAS_HTTPS": https,
        "NAAS_LOGIN_LIMIT": environ.get("NAAS_LOGIN_LIMIT", "60 per minute;300 per hour"),
        "NAAS_LOGIN_FAILURE_LIMIT": environ.get("NAAS_LOGIN_FAILURE_LIMIT", "5 per 15 minutes"),
        # Certificates: the Ed25519 key (a PEM file's path, or base64 of its 32 raw bytes), who issues
        # them, and how often one client may check a certificate.
        "NAAS_SIGNING_KEY": environ.get("NAAS_SIGNING_KEY"),
        "NAAS_SIGNING_RETIRED_KEYS": environ.get("NAAS_SIGNING_RETIRED_KEYS"),
        "NAAS_ISSUER_NAME": environ.get(
            "NAAS_ISSUER_NAME", "National Assessment and Accreditation System"
        ),
        "NAAS_VERIFY_LIMIT": environ.get("NAAS_VERIFY_LIMIT", "60 per minute;600 per hour"),
        # What operators see: one log line per request, as JSON (for a log pipeline) or text,
        # and who may read /metrics (a bearer token; without one, this machine only).
        "NAAS_LOG_FORMAT": environ.get(
            "NAAS_LOG_FORMAT", "json" if env == "production" else "text"
        ).strip(),
        "NAAS_METRICS_TOKEN": environ.get("NAAS_METRICS_TOKEN", "").strip() or None,
        # Background jobs (docs/jobs.md): the task queue's broker (RabbitMQ, amqp://...); unset,
        # jobs run in the process that writes them, as the demo does. The queue's name, how
        # long a worker holds a running job before another may take it up, and how many results
        # a release commits at a time.
        "NAAS_BROKER_URL": _broker_url(environ),
        "NAAS_JOBS_QUEUE": environ.get("NAAS_JOBS_QUEUE", "naas").strip() or "naas",
        "NAAS_JOB_LEASE_SECONDS": _in_range(environ, "NAAS_JOB_LEASE_SECONDS", 120, 5, 3600),
        "NAAS_RELEASE_CHUNK": _in_range(environ, "NAAS_RELEASE_CHUNK", 200, 1, 10000),
        # The audit chain's signed checkpoints are also appended here, outside the database's
        # reach (docs/audit.md): a volume the database's administrators cannot write.
        "NAAS_AUDIT_CHECKPOINT_FILE": environ.get("NAAS_AUDIT_CHECKPOINT_FILE", "").strip()
        or str(Path(instance_path) / "audit-checkpoints.jsonl"),
        # Cookies: never readable by scripts, not sent on cross-site posts, https-only where served so.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # A sitting lasts hours: a CSRF token must outlive it (WTForms' default is 30 minutes).
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "WTF_CSRF_SSL_STRICT": https,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        **_marking_settings(environ),
        **_email_settings(environ),
    }


def _marking_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The marking rules an operator may tune; unset ones keep the marking area's defaults."""
    settings: dict[str, Any] = {}
    raw = environ.get("NAAS_MARKING_CONTROL_RATE", "").strip()
    if raw:
        try:
            rate = float(raw)
        except ValueError:
            rate = -1.0
        if not 0 <= rate <= 1:
            raise ConfigError(
                f"NAAS_MARKING_CONTROL_RATE is {raw!r}; it must be a fraction from 0 to 1, e.g. 0.2"
            )
        settings["NAAS_MARKING_CONTROL_RATE"] = rate
    for name, low, high in (
        ("NAAS_MARKING_DRIFT_WINDOW", 1, 1000),
        ("NAAS_MARKING_CONTROL_BLOCK", 1, 100),
        ("NAAS_MARKING_CONTROL_DELAY_DAYS", 0, 365),
    ):
        raw = environ.get(name, "").strip()
        if raw:
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise ConfigError(
                    f"{name} is {raw!r}; it must be a whole number from {low} to {high}"
                )
            settings[name] = int(raw)
    return settings


def _email_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """How email leaves the service (docs/email.md): `outbox` (the default) sends none, for the
    demo and development; `smtp` and `notify` send through a mail server or GOV.UK Notify."""
    backend = environ.get("NAAS_EMAIL_BACKEND", "outbox").strip() or "outbox"
    if backend not in ("outbox", "smtp", "notify"):
        raise ConfigError(f"NAAS_EMAIL_BACKEND is {backend!r}; it must be outbox, smtp or notify")
    port = environ.get("NAAS_SMTP_PORT", "25").strip() or "25"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"NAAS_SMTP_PORT is {port!r}; it must be a port number, e.g. 587")
    starttls = environ.get("NAAS_SMTP_STARTTLS", "0").strip() or "0"
    if starttls not in ("0", "1"):
        raise ConfigError(f"NAAS_SMTP_STARTTLS is {starttls!r}; it must be 1 (on) or 0 (off)")
    settings: dict[str, Any] = {
        "NAAS_EMAIL_BACKEND": backend,
        "NAAS_EMAIL_FROM": environ.get("NAAS_EMAIL_FROM", "").strip() or None,
        "NAAS_SMTP_HOST": environ.get("NAAS_SMTP_HOST", "").strip() or None,
        "NAAS_SMTP_PORT": int(port),
        "NAAS_SMTP_STARTTLS": starttls == "1",
        "NAAS_SMTP_USERNAME": environ.get("NAAS_SMTP_USERNAME", "").strip() or None,
        "NAAS_SMTP_PASSWORD": environ.get("NAAS_SMTP_PASSWORD") or None,
        "NAAS_NOTIFY_API_KEY": environ.get("NAAS_NOTIFY_API_KEY", "").strip() or None,
        "NAAS_NOTIFY_TEMPLATE_ID": environ.get("NAAS_NOTIFY_TEMPLATE_ID", "").strip() or None,
        "NAAS_NOTIFY_BASE_URL": environ.get(
            "NAAS_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
        ).strip(),
    }
    if backend == "smtp" and not settings["NAAS_SMTP_HOST"]:
        raise ConfigError("NAAS_EMAIL_BACKEND is smtp but NAAS_SMTP_HOST is not set")
    if backend == "smtp" and not settings["NAAS_EMAIL_FROM"]:
        raise ConfigError(
            "NAAS_EMAIL_BACKEND is smtp but NAAS_EMAIL_FROM (the sender's address) is not set"
        )
    if backend == "notify" and (
        not settings["NAAS_NOTIFY_API_KEY"] or len(settings["NAAS_NOTIFY_API_KEY"]) < 74
    ):
        raise ConfigError(
            "NAAS_EMAIL_BACKEND is notify but NAAS_NOTIFY_API_KEY is not set to a Notify API key "
            "(its name, service id and secret key, as Notify shows it)"
        )
    if backend == "notify" and not settings["NAAS_NOTIFY_TEMPLATE_ID"]:
        raise ConfigError(
            "NAAS_EMAIL_BACKEND is notify but NAAS_NOTIFY_TEMPLATE_ID is not set (the id of the "
            "Notify template whose subject is ((subject)) and body ((body)))"
        )
    return settings


def _list(environ: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in environ.get(name, "").split(",") if part.strip()]


def _on_off(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if raw not in ("0", "1"):
        raise ConfigError(f"{name} is {raw!r}; it must be 1 (on) or 0 (off)")
    return raw == "1"


def _broker_url(environ: Mapping[str, str]) -> str | None:
    url = environ.get("NAAS_BROKER_URL", "").strip() or None
    if url and urlsplit(url).scheme not in ("amqp", "amqps", "pyamqp", "redis", "rediss"):
        raise ConfigError(
            f"NAAS_BROKER_URL must be an amqp:// (RabbitMQ) or redis:// address, not {url!r}"
        )
    return url


def _redis_url(environ: Mapping[str, str]) -> str | None:
    url = environ.get("NAAS_REDIS_URL", "").strip() or None
    if url:
        from redis.connection import parse_url

        try:
            parse_url(url)
        except ValueError as exc:
            raise ConfigError(
                f"NAAS_REDIS_URL is not a Redis URL such as redis://127.0.0.1:6379/0 ({exc})"
            ) from None
    return url


def _check_database_url(url: str) -> None:
    """A URL SQLAlchemy can read, with a numeric port: said in one line (without the URL, which
    may hold a password) rather than as a traceback from deep in the driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        _ = parsed.port
    except (ArgumentError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise ConfigError(
            "NAAS_DATABASE_URL is not a database URL such as "
            f"postgresql+psycopg://user@host:5432/naas ({reason})"
        ) from None


def _in_range(environ: Mapping[str, str], name: str, default: int, least: int, most: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not least <= int(raw) <= most:
        raise ConfigError(f"{name} is {raw!r}; it must be a whole number from {least} to {most}")
    return int(raw)


def _worker_count(environ: Mapping[str, str]) -> int | None:
    raw = environ.get("NAAS_WORKERS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise ConfigError(f"NAAS_WORKERS is {raw!r}; it must be a whole number from 1 to 256")
    return int(raw)


def _whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError(f"{name} is {raw!r}; it must be a whole number from 0 to 10")
    return int(raw)


def check(config: Mapping[str, Any], serving: bool) -> None:
    """Refuse to run with settings that would be unsafe or cannot work."""
    env = config["NAAS_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"NAAS_ENV is {env!r}; it must be one of {', '.join(ENVIRONMENTS)}")
    _check_database_url(str(config.get("NAAS_DATABASE_URL", "")))
    if serving and not config.get("SECRET_KEY") and env == "production":
        raise ConfigError(
            "NAAS_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or run the demo with `naas demo`."
        )
    if config.get("SECRET_KEY") and env == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigError("NAAS_SECRET_KEY is too short: use at least 32 random characters")
    if (
        serving
        and config.get("SECRET_KEY")
        and env == "production"
        and len(set(config["SECRET_KEY"])) < 10
    ):
        raise ConfigError(
            "NAAS_SECRET_KEY is too weak (it repeats a few characters): use a random value, "
            "e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if config.get("NAAS_LOG_FORMAT", "text") not in ("json", "text"):
        raise ConfigError(
            f"NAAS_LOG_FORMAT is {config['NAAS_LOG_FORMAT']!r}; it must be json or text"
        )
    if env == "production" and any(
        len(key) < 32 for key in config.get("SECRET_KEY_FALLBACKS") or ()
    ):
        raise ConfigError(
            "NAAS_SECRET_KEY_FALLBACKS holds a key shorter than 32 characters: list earlier "
            "secret keys, comma separated, newest first"
        )
    if serving and not config.get("NAAS_SIGNING_KEY") and env == "production":
        raise ConfigError(
            "NAAS_SIGNING_KEY is not set. Set it to the certificate signing key (make one with "
            "`naas cert new-key`, or give the path of an Ed25519 PEM file), or run the demo with `naas demo`."
        )
    if serving and env == "production":
        _refuse_one_machine_settings(config)


def _refuse_one_machine_settings(config: Mapping[str, Any]) -> None:
    """Production runs on several workers or machines: refuse what only works on one, unless
    an operator allows it by name (a one-box pilot)."""
    if str(config.get("NAAS_DATABASE_URL", "")).startswith("sqlite") and not config.get(
        "NAAS_ALLOW_SQLITE"
    ):
        raise ConfigError(
            "NAAS_DATABASE_URL is SQLite, which only one machine can use: set it to PostgreSQL "
            "(postgresql+psycopg://...), or set NAAS_ALLOW_SQLITE=1 for a one-box pilot"
        )
    workers = config.get("NAAS_WORKERS") or 1
    if (
        workers > 1
        and not config.get("NAAS_REDIS_URL")
        and not config.get("NAAS_ALLOW_LOCAL_LIMITS")
    ):
        raise ConfigError(
            f"NAAS_REDIS_URL is not set but {workers} workers will serve: each would count rate "
            "limits on its own. Set NAAS_REDIS_URL, or NAAS_ALLOW_LOCAL_LIMITS=1 to accept "
            "per-worker limits"
        )


def environ() -> Mapping[str, str]:
    return os.environ
