"""`byconsent manage consultation_schedule`: open and close consultations whose time has come (run hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from byconsent.consultations.services import run_schedule


class Command(BaseCommand):
    help = "Open scheduled consultations whose opening time has passed, and close those past their closing time."

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_schedule()
        self.stdout.write(f"opened {result['opened']}, closed {result['closed']}, "
                          f"could not open {result['failed']} (see the audit trail)")
