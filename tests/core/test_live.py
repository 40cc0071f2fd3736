"""Server-Sent Events: replay after Last-Event-ID, channel privacy."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient

from byconsent.core.services import publish_event


def run_in_own_loop(coroutine: Any) -> Any:
    """Run a coroutine on a fresh event loop in its own thread: browser tests leave a loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _read_stream(response) -> str:
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    return "".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_stream_replays_events_after_last_event_id():
    run_in_own_loop(_replay())


async def _replay() -> None:
    first = await sync_to_async(publish_event)("public-townhall", "question", {"text": "first"})
    second = await sync_to_async(publish_event)("public-townhall", "question", {"text": "second"})
    await sync_to_async(publish_event)("public-other", "question", {"text": "elsewhere"})
    client = AsyncClient()
    response = await client.get("/live/public-townhall/?max_seconds=0.5", headers={"Last-Event-ID": str(first.pk)})
    assert response["Content-Type"] == "text/event-stream"
    body = await _read_stream(response)
    assert f"id: {second.pk}\nevent: question\ndata: {{\"text\":\"second\"}}" in body
    assert '"first"' not in body and "elsewhere" not in body


@pytest.mark.django_db(transaction=True)
def test_staff_channels_are_hidden_from_the_public():
    response = run_in_own_loop(AsyncClient().get("/live/staff-announcements/?max_seconds=0.1"))
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)  # the stream is read on another thread, with its own connection
def test_under_wsgi_a_stream_ends_so_it_cannot_hold_a_thread(client, monkeypatch):
    from byconsent.core import live

    monkeypatch.setattr(live, "WSGI_STREAM_SECONDS", 0.3)
    publish_event("public-wsgi", "message", {"text": "hello"})

    def request_and_read() -> str:
        return b"".join(client.get("/live/public-wsgi/")).decode()

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own, as a WSGI server would use
        body = pool.submit(request_and_read).result(timeout=30)  # it returns: the stream ended by itself
    assert '"hello"' in body
