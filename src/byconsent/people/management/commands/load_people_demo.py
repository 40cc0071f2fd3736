"""Load demo stakeholders (after `byconsent demo`); does nothing if any person exists."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from byconsent.people.demo import load_people_demo


class Command(BaseCommand):
    help = "Load demo people, organisations, consents and a standing panel into the demo force."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_people_demo()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
