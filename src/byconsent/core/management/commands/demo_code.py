from typing import Any

from django.core.management.base import BaseCommand

from byconsent.core.demo import current_code


class Command(BaseCommand):
    help = "Print the current authenticator code shared by the demo staff accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(current_code())
