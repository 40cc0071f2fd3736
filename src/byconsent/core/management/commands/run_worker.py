"""The task worker: django-tasks-db's worker loop, plus a heartbeat for /healthz and hourly periodic jobs."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from byconsent.core.models import WorkerHeartbeat
from byconsent.core.periodic import run_periodic_jobs

HEARTBEAT_SECONDS = 10
# Background work yields the processor to web requests: on a machine that serves both, a burst of submissions
# is answered first and the queue it leaves is worked through as soon as the processor is free.
WORKER_NICE = int(os.environ.get("BYCONSENT_WORKER_NICE", "10"))
PERIODIC_SECONDS = 3600


class Command(BaseCommand):
    help = "Run background tasks until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="Exit when no task is left (for tests and cron)")
        parser.add_argument("--no-periodic", action="store_true", help="Do not run hourly periodic jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        if WORKER_NICE:
            os.nice(WORKER_NICE)
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(worker_id, stop, not options["no_periodic"]),
                                daemon=True)
        beat.start()
        self.stdout.write(f"Task worker {worker_id} started")
        worker = Worker(queue_names=["default"], interval=options["interval"], batch=options["batch"],
                        backend_name="default", startup_delay=False, max_tasks=None, worker_id=worker_id,
                        excluded_queue_names=[])
        try:
            worker.run()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()

    @staticmethod
    def _heartbeat(worker_id: str, stop: threading.Event, periodic: bool) -> None:
        last_periodic = 0.0
        while not stop.is_set():
            try:
                WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"last_seen": timezone.now()})
                if periodic and time.monotonic() - last_periodic > PERIODIC_SECONDS:
                    run_periodic_jobs()
                    last_periodic = time.monotonic()
            finally:
                close_old_connections()
            stop.wait(HEARTBEAT_SECONDS)
