"""Re-encrypt every encrypted field under the newest key in FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from byconsent.core.encryption import EncryptedJSONField, EncryptedTextField, rotate_token


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            fields = [f for f in model._meta.get_fields()
                      if isinstance(f, EncryptedTextField | EncryptedJSONField)]
            if fields:
                count = self._rotate(model, [f.attname for f in fields])
                self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")

    @staticmethod
    def _rotate(model: Any, columns: list[str]) -> int:
        # Work on the raw ciphertext in the table: going through the ORM would decrypt it on the way in.
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            quoted = ", ".join(quote(c) for c in columns)
            cursor.execute(f"SELECT {pk}, {quoted} FROM {table}")  # noqa: S608  (names from the model, quoted)
            for row in cursor.fetchall():
                updates = {col: rotate_token(value) for col, value in zip(columns, row[1:], strict=True) if value}
                if updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                                   [*updates.values(), row[0]])
                    count += 1
        return count
