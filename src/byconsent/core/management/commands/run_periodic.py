from typing import Any

from django.core.management.base import BaseCommand

from byconsent.core.periodic import run_periodic_jobs


class Command(BaseCommand):
    help = "Run periodic jobs once: retention rules from the privacy registry and housekeeping."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, result in run_periodic_jobs().items():
            self.stdout.write(f"{name}: {result}")
