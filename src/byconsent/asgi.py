"""The ASGI application uvicorn serves: Django's ASGI handler for live streams, its WSGI handler for the rest.

Server-sent event streams (`/live/...`, async views in core.live) need the ASGI handler: it holds many open
streams without a thread each. Every other view is synchronous, and for those Django's ASGI handler is the costly
path: because some middleware is sync-only (WhiteNoise, django-auditlog), each request hops from the event loop to
a thread, back to the loop and into a thread again. Running them through the WSGI handler in a2wsgi's thread pool
makes it one hop and lets the threads be reused. Measured with benchmarks/submit_responses.py on PostgreSQL: server
CPU per submission 11.3 ms through the ASGI handler, 9.3 ms this way.
"""

from __future__ import annotations

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byconsent.settings")
django_asgi = get_asgi_application()  # sets Django up, so the app modules below can be imported

from byconsent.core.live import LIVE_PATH_PREFIX  # noqa: E402

# Threads per process that run synchronous requests; the PostgreSQL pool (BYCONSENT_DB_POOL_SIZE) should match.
WEB_THREADS = int(os.environ.get("BYCONSENT_WEB_THREADS", "8"))
django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=WEB_THREADS)  # type: ignore[arg-type]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not scope["path"].startswith(LIVE_PATH_PREFIX):
        await django_wsgi(scope, receive, send)  # type: ignore[arg-type]
    else:
        await django_asgi(scope, receive, send)
