"""The real server with live streams open: they must not take the database connections ordinary requests need."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit

import pytest

from .servers import asgi_server, asgi_server_env  # noqa: F401  (fixtures)

POOL_SIZE = 2


@pytest.fixture
def asgi_server_env() -> dict[str, str]:  # noqa: F811  (a small pool, so that a few streams could exhaust it)
    return {"BYCONSENT_DB_POOL_SIZE": str(POOL_SIZE)}


def open_stream(base: str, channel: str, opened: threading.Event) -> http.client.HTTPConnection:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    connection.request("GET", f"/live/{channel}/")
    response = connection.getresponse()
    assert response.status == 200
    response.readline()  # "retry: ..." — the stream is open and has polled the database once
    opened.set()
    return connection


def test_open_streams_leave_connections_for_ordinary_requests(asgi_server):  # noqa: F811
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL runs with a connection pool")
    streams: list[http.client.HTTPConnection] = []
    events = [threading.Event() for _ in range(POOL_SIZE + 2)]
    threads = [threading.Thread(target=lambda n=n: streams.append(open_stream(asgi_server, f"public-s{n}", events[n])))
               for n in range(len(events))]
    for thread in threads:
        thread.start()
    assert all(event.wait(15) for event in events), "every stream opened"
    try:
        started = time.monotonic()
        address = urlsplit(asgi_server)
        ordinary = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=15)
        ordinary.request("GET", "/healthz")  # reads the database
        assert ordinary.getresponse().status in (200, 503)  # 503 only says no worker is running here
        assert time.monotonic() - started < 5  # not waiting 20 s for a connection the streams hold
    finally:
        for stream in streams:
            stream.close()
