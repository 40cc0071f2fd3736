from typing import Any

from django.core.management.base import BaseCommand

from byconsent.core.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo force (Police Scotland geography), demo accounts and sample contributions. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_demo()
        self.stdout.write("Demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
