"""Server-Sent Events: replay after Last-Event-ID, channel privacy."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from byconsent.core.services import publish_event


async def _read_stream(response) -> str:
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    return "".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_stream_replays_events_after_last_event_id():
    async_to_sync(_replay)()


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
    response = async_to_sync(AsyncClient().get)("/live/staff-announcements/?max_seconds=0.1")
    assert response.status_code == 404
