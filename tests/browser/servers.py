"""The real ASGI server (uvicorn) and the real task worker, as subprocesses sharing the test database.

pytest-django's live_server runs Django under WSGI in a thread, which cannot stream Server-Sent Events; these
fixtures start the same processes `byconsent run` starts, pointed at the test database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def database_url_for_tests() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    # dj-database-url puts a Unix-socket directory given as ?host= in OPTIONS, not HOST.
    host = settings.get("HOST") or settings.get("OPTIONS", {}).get("host") or ""
    port = settings.get("PORT") or ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{settings['NAME']}?host={quote(host)}" + (f"&port={port}" if port else "")
    return f"postgres://{user}{password}@{host}:{port or 5432}/{settings['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url_for_tests(), DJANGO_SETTINGS_MODULE="byconsent.settings",
               TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310  (loopback only)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start at {url}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def asgi_server_env() -> dict[str, str]:
    """Extra environment for the server process: a test module overrides this fixture to change a setting."""
    return {}


@pytest.fixture
def asgi_server(transactional_db: None, asgi_server_env: dict[str, str]) -> Iterator[str]:
    """Base URL of uvicorn serving byconsent.asgi on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "byconsent.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--lifespan", "off"], cwd=REPO_ROOT, env={**subprocess_env(), **asgi_server_env})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/accessibility/", process)
        yield url
    finally:
        stop(process)


@pytest.fixture
def task_worker(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    """`byconsent worker` running against the test database."""
    process = subprocess.Popen([sys.executable, "-m", "byconsent.cli", "worker"], cwd=REPO_ROOT,
                               env=subprocess_env())
    try:
        yield process
    finally:
        stop(process)
