"""A lean per-client limit for the public certificate checks.

Sign-in, password links and bulk checks are limited with Flask-Limiter's decorators. The
public checks (the verification page, its form and the API) are the one place where the
limit is paid on every request of a high-volume endpoint, and Flask-Limiter's general path
(resolving declared, dynamic and exempt limits through its request context, then reading the
window again to set headers after the view) cost about a fifth of a whole check in process
(docs/performance.md). Here the same counters are kept by the same `limits` package in the
same storage (Redis where NAAS_REDIS_URL is set, else the worker's memory): an increment per
limit and one read of a window's end, nothing else.

A client is its address (request.remote_addr, after ProxyFix where NAAS_PROXY_HOPS is set),
as for Flask-Limiter's per-address limits. Every response of a limited view says how much of
the tightest allowance is left (X-RateLimit-Limit, -Remaining, -Reset); a refused one is a
429 with Retry-After. RATELIMIT_ENABLED off switches this off too, for its own app only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from werkzeug.exceptions import TooManyRequests

from . import ratelimit_storage  # noqa: F401  (registers naas-memory://)
from .metrics import RATE_LIMIT_STORAGE_ERRORS

EXTENSION = "naas.client_limits"


class LimitReached(TooManyRequests):
    """A client used up an allowance: the 429 handler adds `headers` to its page."""

    def __init__(self, headers: dict[str, str]):
        super().__init__()
        self.headers = headers


def init_app(app: Flask) -> None:
    """Counters in the storage Flask-Limiter was given (RATELIMIT_STORAGE_URI and its options)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        app.extensions[EXTENSION] = None
        return
    storage = storage_from_string(
        app.config["RATELIMIT_STORAGE_URI"], **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
    )
    app.extensions[EXTENSION] = storage


@lru_cache(maxsize=16)
def _limits(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def per_client(setting: str, scope: str) -> Callable:
    """Limit a view to the allowance in config[setting] (e.g. "60 per minute;600 per hour")
    per client. Views given the same scope draw on one allowance."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            headers = count(setting, scope)
            response = current_app.make_response(view(*args, **kwargs))
            response.headers.extend(headers)  # a view never sets these itself
            return response

        return limited

    return decorate


def count(setting: str, scope: str) -> dict[str, str]:
    """Count one request of this client against every limit in config[setting]; raise
    LimitReached if one is used up. Returns the headers that describe the tightest limit.

    Fixed windows, counted as limits' FixedWindowRateLimiter counts them (one increment per
    limit, refused past the limit's amount), but reading the window's end only once, for the
    limit the headers describe: with Redis each read is a round trip."""
    storage: Storage | None = current_app.extensions[EXTENSION]
    if storage is None:
        return {}
    try:
        return _count(storage, setting, scope)
    except LimitReached:
        raise
    except Exception as exc:  # the counters' storage is unreachable: serve, and say so in the log
        _storage_failed(exc)
        return {}


def _storage_failed(exc: Exception) -> None:
    """Fail open: a limit that cannot be counted does not refuse the request. Logged at most
    once a minute per worker, so an outage does not flood the log."""
    RATE_LIMIT_STORAGE_ERRORS.inc()
    last = current_app.extensions.get(WARNED, -60.0)
    if time.monotonic() - last >= 60:
        current_app.extensions[WARNED] = time.monotonic()
        current_app.logger.warning(
            "rate limits are not being counted (their storage failed: %s: %s); "
            "requests are served unlimited until it answers",
            exc.__class__.__name__,
            exc,
        )


WARNED = "naas.ratelimit_storage_warned"  # when this app last said its limits' storage failed


def _count(storage: Storage, setting: str, scope: str) -> dict[str, str]:
    client = request.remote_addr or "127.0.0.1"
    tightest: tuple[int, int, RateLimitItem, str] | None = None
    for item in _limits(current_app.config[setting]):
        key, window = item.key_for(scope, client), item.get_expiry()
        hits = storage.incr(key, window)
        if hits > item.amount:
            reset_at = storage.get_expiry(key)
            headers = _headers(item, 0, reset_at)
            headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
            raise LimitReached(headers)
        remaining = item.amount - hits
        if tightest is None or (remaining, window) < tightest[:2]:
            tightest = (remaining, window, item, key)
    if tightest is None:
        return {}
    remaining, _expiry, item, key = tightest
    return _headers(item, remaining, storage.get_expiry(key))


def _headers(item: RateLimitItem, remaining: int, reset_at: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(item.amount),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(math.ceil(reset_at)),
    }
