"""The service's Prometheus metrics, defined once for every module that counts something.
Served at /metrics by naas/observability.py; what each means for an operator is in
docs/operations.md."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "naas_http_requests_total",
    "Requests answered, by route and status",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "naas_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTOSAVES = Counter("naas_autosave_total", "Autosaves, by outcome", ["outcome"])
SIGNIN_FAILURES = Counter(
    "naas_signin_failures_total", "Sign-ins refused for a wrong email or password"
)
RATE_LIMIT_REFUSALS = Counter(
    "naas_rate_limit_refusals_total", "Requests refused by a rate limit (429)", ["route"]
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "naas_rate_limit_storage_errors_total",
    "Rate-limit checks that could not reach their storage (Redis) and let the request through",
)
DATABASE_UNAVAILABLE = Counter(
    "naas_database_unavailable_total", "Requests answered 503 because the database did not answer"
)
SERVER_ERRORS = Counter("naas_server_errors_total", "Requests that failed with an unexpected error")
JOBS_QUEUE_DEPTH = Gauge(
    "naas_jobs_queue_depth",
    "Background jobs waiting to run or running, by state",
    ["state"],
    multiprocess_mode="livemax",
)
JOBS_FAILED = Counter("naas_jobs_failed_total", "Background jobs that failed for good", ["kind"])
