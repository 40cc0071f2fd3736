from typing import Any

from django.core.management.base import BaseCommand

from byconsent.actions.demo import load_demo


class Command(BaseCommand):
    help = "Add demo 'You said, we did' records and a demo neighbourhood page (after `byconsent demo`)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, value in load_demo().items():
            self.stdout.write(f"{name}: {value}")
