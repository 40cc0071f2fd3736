from typing import Any

from django.core.management.base import BaseCommand

from byconsent.actions.periodic import run_periodic


class Command(BaseCommand):
    help = ("Send the 'You said, we did' feedback batch (one digest per person) and flag overdue actions to their "
            "owners and commanders (once per action per day). Safe to run as often as you like; run it hourly.")

    def handle(self, *args: Any, **options: Any) -> None:
        for name, value in run_periodic().items():
            self.stdout.write(f"{name}: {value}")
