"""Live updates: Server-Sent Events fed by the outbox table.

A stream replays every event after the client's Last-Event-ID, then waits for more. On PostgreSQL one LISTEN
connection per process wakes every waiting stream when a NOTIFY arrives; on SQLite streams poll once a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpRequest, StreamingHttpResponse

from byconsent.core.models import OutboxEvent

logger = logging.getLogger(__name__)
NOTIFY_CHANNEL = "byconsent_outbox"
POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
PUBLIC_PREFIX = "public-"
# Where the streams are served; asgi.py sends these paths (only) through Django's ASGI handler.
LIVE_PATH_PREFIX = "/live/"
WSGI_STREAM_SECONDS = 20.0


def uses_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")


def notify_after_commit(channel: str, event_id: int) -> None:
    if not uses_postgresql():
        return

    def send() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, channel])

    transaction.on_commit(send)


class PostgresListener:
    """The one LISTEN connection of this process; wakes every stream on any outbox NOTIFY."""

    def __init__(self) -> None:
        self._condition: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None

    async def wait(self, timeout: float) -> None:
        if self._task is None or self._task.done():
            self._condition = asyncio.Condition()
            self._task = asyncio.create_task(self._listen())
        assert self._condition is not None
        async with self._condition:
            try:
                await asyncio.wait_for(self._condition.wait(), timeout)
            except TimeoutError:
                pass

    async def _listen(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(autocommit=True, **params) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    async for _notice in conn.notifies():
                        await self._wake()
            except Exception:  # a dropped connection must not end live updates for good
                logger.exception("LISTEN connection failed; retrying")
                await self._wake()
                await asyncio.sleep(2)

    async def _wake(self) -> None:
        assert self._condition is not None
        async with self._condition:
            self._condition.notify_all()


_listener = PostgresListener()


async def wait_for_events(timeout: float) -> None:
    if uses_postgresql():
        await _listener.wait(timeout)
    else:
        await asyncio.sleep(min(timeout, POLL_SECONDS))


def _release_connection() -> None:
    """A stream lives for minutes and polls now and then: it must not hold a database connection in between, or a
    few open streams would take every connection of the process's pool and starve ordinary requests."""
    if not connection.in_atomic_block:
        connection.close()


@sync_to_async
def _events_after(channel: str, last_id: int) -> list[OutboxEvent]:
    try:
        return list(OutboxEvent.objects.filter(channel=channel, id__gt=last_id).order_by("id")[:200])
    finally:
        _release_connection()


def format_event(event: OutboxEvent) -> str:
    payload = json.dumps(event.data, separators=(",", ":"))
    return f"id: {event.pk}\nevent: {event.event_type}\ndata: {payload}\n\n"


async def event_stream(channel: str, last_id: int, max_seconds: float | None = None) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    loop = asyncio.get_running_loop()
    started = last_keepalive = loop.time()
    while max_seconds is None or loop.time() - started < max_seconds:
        events = await _events_after(channel, last_id)
        for event in events:
            last_id = event.pk
            yield format_event(event)
        if loop.time() - last_keepalive > KEEPALIVE_SECONDS:
            last_keepalive = loop.time()
            yield ": keepalive\n\n"
        if not events:
            await wait_for_events(KEEPALIVE_SECONDS if uses_postgresql() else POLL_SECONDS)


def _last_event_id(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


@sync_to_async
def _may_listen(request: HttpRequest, channel: str) -> bool:
    if channel.startswith(PUBLIC_PREFIX):
        return True
    try:
        user: Any = request.user
        return bool(user.is_authenticated and user.is_staff_member)
    finally:
        _release_connection()


async def live_stream(request: HttpRequest, channel: str) -> StreamingHttpResponse:
    """GET /live/<channel>/: channels named public-* are open to all; others need a staff account."""
    if not await _may_listen(request, channel):
        raise Http404
    max_seconds = float(request.GET["max_seconds"]) if "max_seconds" in request.GET else None
    if "wsgi.version" in request.META:
        # Under WSGI Django buffers an async stream whole, so a stream must end: serve it as a long poll and
        # let EventSource reconnect (with Last-Event-ID) instead of holding a worker thread for ever.
        max_seconds = min(max_seconds or WSGI_STREAM_SECONDS, WSGI_STREAM_SECONDS)
    response = StreamingHttpResponse(
        event_stream(channel, _last_event_id(request), max_seconds), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
