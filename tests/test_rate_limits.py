"""Sign-in limits are kept in Redis when NAAS_REDIS_URL is set, so every worker shares them."""

from __future__ import annotations

import threading

import pytest

from naas import create_app
from naas.certificates.numbers import new_number
from naas.ratelimit_storage import WorkerMemoryStorage

from .conftest import need_service
from .helpers import login, make_user

REDIS_URL = "redis://127.0.0.1:6379/15"
# These tests empty that Redis database: under pytest-xdist they run one after another, on one
# worker (docs/testing.md).
pytestmark = pytest.mark.xdist_group("redis-db-15")


@pytest.fixture
def redis_client():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # any failure to reach it means: no Redis here
        need_service("Redis", f"no Redis at {REDIS_URL} ({exc.__class__.__name__})")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def redis_from_the_environment(monkeypatch, redis_client):
    """NAAS_REDIS_URL set the way an operator sets it, and nothing else."""
    monkeypatch.setenv("NAAS_REDIS_URL", REDIS_URL)
    return redis_client


def test_failed_sign_ins_are_counted_in_redis_and_survive_a_new_worker(
    app_config, session, redis_from_the_environment
):
    config = app_config
    first_worker = create_app(config)
    assert first_worker.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    redis_client = redis_from_the_environment
    user = make_user(session, "candidate")
    client = first_worker.test_client()
    assert [login(client, user.email, "wrong").status_code for _ in range(3)] == [200, 200, 200]
    assert redis_client.keys("LIMITS*")  # the counters live in Redis, not in the process
    second_worker = create_app(config)  # another worker: a fresh process would start the same way
    other = second_worker.test_client()
    assert [login(other, user.email, "wrong").status_code for _ in range(3)] == [200, 200, 429]


def test_certificate_checks_share_one_allowance_across_workers_through_redis(
    app_config, redis_from_the_environment
):
    config = {**app_config, "NAAS_VERIFY_LIMIT": "3 per minute"}
    first, second = create_app(config), create_app(config)
    number = new_number()
    responses = [first.test_client().get(f"/api/v1/certificates/{number}") for _ in range(2)]
    responses += [second.test_client().get(f"/api/v1/certificates/{number}") for _ in range(2)]
    assert [r.status_code for r in responses] == [404, 404, 404, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60
    assert redis_from_the_environment.keys("LIMITS*certificate-checks*")
    for app in (first, second):
        app.extensions["naas.engine"].dispose()


def test_an_app_with_rate_limits_switched_off_starts_and_limits_nothing(app_config):
    """RATELIMIT_ENABLED off (Flask-Limiter's own setting) leaves no before-request check to
    remove. The limiter is one object per process, so the apps are made one after another, and
    the last one switches it back on for the tests that follow."""
    config = {**app_config, "NAAS_VERIFY_LIMIT": "2 per minute"}
    number = new_number()
    for enabled, expected in ((False, [404, 404, 404, 404]), (True, [404, 404, 429, 429])):
        app = create_app({**config, "RATELIMIT_ENABLED": enabled})
        client = app.test_client()
        assert [
            client.get(f"/api/v1/certificates/{number}").status_code for _ in range(4)
        ] == expected
        app.extensions["naas.engine"].dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_worker_memory_counts_within_a_window_and_starts_again_after_it():
    clock = FakeClock()
    storage = WorkerMemoryStorage(clock=clock)
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("a") == 3 and storage.get("b") == 0
    assert storage.get_expiry("a") == clock.now + 60  # the window opened with the first hit
    clock.now += 59.9
    assert storage.incr("a", 60) == 4  # still the same window
    clock.now += 0.1
    assert storage.get("a") == 0 and storage.get_expiry("a") == clock.now  # ended
    assert storage.incr("a", 60) == 1 and storage.get_expiry("a") == clock.now + 60
    assert storage.incr("a", 60, amount=5) == 6


def test_worker_memory_sweeps_ended_windows_so_it_does_not_grow_without_bound():
    clock = FakeClock()
    storage = WorkerMemoryStorage(clock=clock)
    for n in range(1000):  # a thousand clients, each seen once
        storage.incr(f"client-{n}", 10)
    assert len(storage) == 1000
    clock.now += 11
    storage.incr("latest", 10)  # the next hit after the windows end sweeps them out
    assert len(storage) == 1 and storage.get("latest") == 1


def test_worker_memory_clear_and_reset():
    storage = WorkerMemoryStorage(clock=FakeClock())
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert storage.get("a") == 0 and storage.get("b") == 1
    assert storage.reset() == 1 and len(storage) == 0 and storage.check()


def test_without_redis_limits_are_kept_in_worker_memory_and_no_thread_is_started(app_config):
    """limits' own memory:// storage starts a timer thread after hits; ours must not."""
    app = create_app({**app_config, "NAAS_VERIFY_LIMIT": "3 per minute"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "naas-memory://"
    client = app.test_client()
    number = new_number()
    client.get(f"/api/v1/certificates/{number}")
    threads = threading.active_count()
    statuses = [client.get(f"/api/v1/certificates/{number}").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    assert isinstance(app.extensions["naas.client_limits"], WorkerMemoryStorage)
    assert threading.active_count() == threads
    app.extensions["naas.engine"].dispose()


# -- the lean per-client limit of the public certificate checks (naas/ratelimit.py) -----------
def test_each_check_says_how_much_of_the_allowance_is_left_and_a_refusal_when_to_come_back(
    app_config,
):
    app = create_app({**app_config, "NAAS_VERIFY_LIMIT": "3 per minute"})
    client = app.test_client()
    number = new_number()
    responses = [client.get(f"/api/v1/certificates/{number}") for _ in range(4)]
    assert [r.status_code for r in responses] == [404, 404, 404, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"3"}
    refused = responses[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"] == "Too many attempts"  # the API answers in JSON
    assert "Retry-After" not in responses[0].headers
    page = client.get(f"/verify/{number}")  # the page shares the allowance, and says so in words
    assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"]  # still the site's headers
    app.extensions["naas.engine"].dispose()


def test_of_several_limits_the_tightest_is_reported_and_any_one_used_up_refuses(app_config):
    app = create_app({**app_config, "NAAS_VERIFY_LIMIT": "5 per minute;2 per hour"})
    client = app.test_client()
    responses = [client.get(f"/api/v1/certificates/{new_number()}") for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 429]
    assert [
        (r.headers["X-RateLimit-Limit"], r.headers["X-RateLimit-Remaining"]) for r in responses
    ] == [("2", "1"), ("2", "0"), ("2", "0")]
    assert (
        60 < int(responses[-1].headers["Retry-After"]) <= 3600
    )  # the hour's window, not the minute's
    app.extensions["naas.engine"].dispose()


def test_checks_behind_one_proxy_are_counted_per_forwarded_client(app_config):
    app = create_app({**app_config, "NAAS_PROXY_HOPS": 1, "NAAS_VERIFY_LIMIT": "2 per minute"})
    client = app.test_client()
    number = new_number()

    def check(address):
        return client.get(
            f"/api/v1/certificates/{number}", headers={"X-Forwarded-For": address}
        ).status_code

    assert [check("198.51.100.7") for _ in range(3)] == [404, 404, 429]
    assert check("203.0.113.9") == 404  # another person behind the same proxy is not refused
    app.extensions["naas.engine"].dispose()


def test_switching_limits_off_belongs_to_one_app_not_to_the_process(app_config):
    config = {**app_config, "NAAS_VERIFY_LIMIT": "1 per minute"}
    limited = create_app(config)
    unlimited = create_app({**config, "RATELIMIT_ENABLED": False})
    number = new_number()
    assert [
        unlimited.test_client().get(f"/api/v1/certificates/{number}").status_code for _ in range(3)
    ] == [404] * 3
    assert (
        "X-RateLimit-Remaining"
        not in unlimited.test_client().get(f"/api/v1/certificates/{number}").headers
    )
    assert [
        limited.test_client().get(f"/api/v1/certificates/{number}").status_code for _ in range(2)
    ] == [404, 429]
    for app in (limited, unlimited):
        app.extensions["naas.engine"].dispose()
