"""Rate-limit counters kept in a worker's own memory, for when no Redis is configured.

The `limits` package's memory storage (`memory://`) expires its counters from a timer thread
that it starts afresh a hundredth of a second after each hit: under load, a new thread every
few requests; without it, the public certificate checks gave an eighth to a fifth more
answers a second (docs/performance.md). Fixed windows, the only strategy this app uses,
need no timer: a counter whose window has ended reads as zero and starts again on its next
hit, and counters nobody hits again are swept out, at most once a second, by the next hit.

Registered with `limits` under the scheme `naas-memory://` (app.py picks it when
NAAS_REDIS_URL is unset). As with any memory storage, each worker counts on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from limits.storage import Storage

_NEVER = (0, 0.0)


class WorkerMemoryStorage(Storage):
    STORAGE_SCHEME = ["naas-memory"]
    SWEEP_INTERVAL = 1.0  # seconds between sweeps of ended windows

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        clock: Callable[[], float] = time.time,
        **options: float | str | bool,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (hits, when its window ends)
        self._lock = threading.Lock()  # gthread workers hit from several threads
        self._clock = clock
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return ()  # nothing here fails the way a network store does

    def __len__(self) -> int:
        """How many counters are held, ended windows not yet swept included."""
        return len(self._windows)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._windows = {
                    k: window for k, window in self._windows.items() if window[1] > now
                }
                self._next_sweep = now + self.SWEEP_INTERVAL
            hits, ends = self._windows.get(key, _NEVER)
            if ends <= now:  # the first hit opens the window
                hits, ends = 0, now + expiry
            hits += amount
            self._windows[key] = (hits, ends)
            return hits

    def get(self, key: str) -> int:
        hits, ends = self._windows.get(key, _NEVER)
        return hits if ends > self._clock() else 0

    def get_expiry(self, key: str) -> float:
        now = self._clock()
        _hits, ends = self._windows.get(key, _NEVER)
        return ends if ends > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count = len(self._windows)
            self._windows = {}
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
