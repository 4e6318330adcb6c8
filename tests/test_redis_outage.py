"""With Redis gone, rate limits fail open (a warning in the log, never a 500) and count again
by themselves when it returns. A Redis server of the test's own, on a port of its own, is
stopped and started again, so nothing else that uses Redis is disturbed."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time

import pytest

from naas import create_app
from naas.certificates.numbers import new_number

from .helpers import csrf_token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, port: int, folder):
        self.port, self.folder, self.process = port, folder, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the test's Redis did not start")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (Debian's redis-server package)")
    server = OwnRedis(free_port(), tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.mark.redis
def test_limits_fail_open_while_redis_is_down_and_count_again_when_it_returns(
    app_config, own_redis, caplog
):
    app = create_app(
        {
            **app_config,
            "NAAS_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0",
            "NAAS_VERIFY_LIMIT": "3 per minute",
            "NAAS_LOGIN_LIMIT": "3 per minute",
        }
    )
    client = app.test_client()
    api = f"/api/v1/certificates/{new_number()}"

    def sign_in_fails():
        return client.post(
            "/login",
            data={
                "email": "nobody@example.org",
                "password": "wrong",
                "csrf_token": csrf_token(client),
            },
        ).status_code

    assert [client.get(api).status_code for _ in range(4)] == [404, 404, 404, 429]
    own_redis.stop()
    with caplog.at_level(logging.WARNING):
        down = [client.get(api) for _ in range(5)]
        sign_ins = [sign_in_fails() for _ in range(5)]
    assert [r.status_code for r in down] == [404] * 5  # served, unlimited: never a 500
    assert "X-RateLimit-Remaining" not in down[0].headers
    assert sign_ins == [200] * 5  # the form again, not a 500
    assert "rate limits are not being counted" in caplog.text
    own_redis.start()  # an empty Redis on the same port: counting starts again by itself
    assert [client.get(api).status_code for _ in range(4)] == [404, 404, 404, 429]
    assert [sign_in_fails() for _ in range(4)] == [200, 200, 200, 429]
    app.extensions["naas.engine"].dispose()
