"""Gunicorn settings that `naas serve` runs with (`-c python:naas.gunicorn_conf`).

The app logs one line per request itself (naas/observability.py), so gunicorn's access log is
off. Each worker keeps its metrics in PROMETHEUS_MULTIPROC_DIR; a worker that exits has its
figures marked dead, so gauges stop counting it."""

from __future__ import annotations

import os
from typing import Any

accesslog = None
# A request that runs this long is stuck: gunicorn kills the worker and starts another. Long
# work (releases, statistics) runs as a background job, never inside a request.
timeout = int(os.environ.get("NAAS_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
# Behind a proxy that keeps connections to the app open.
keepalive = 5


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
