"""Street crime is stored once, in the analysis workspace (insights.CrimeRecord, one row per street-level record).

Counts imported earlier through the neighbourhoods app are not lost: each count becomes that many records (month,
crime type, area, force; no location, no outcome), under one insights CrimeImport per force named after the files
they came from. Re-importing such a month from data.police.uk replaces them with the full rows, because an import
replaces every row of that force and month that is not in the new file.

Not copied: a force and month the analysis workspace already holds (it was imported there too; copying would
count it twice), and counts from a file that covered several forces (their source reads "A / B", a name no later
import matches, so they could never be replaced). Both are public data.police.uk figures: re-import the month.
"""

import hashlib

from django.db import migrations

BATCH = 1000


def copy_counts_to_records(apps, schema_editor):
    CrimeCount = apps.get_model("neighbourhoods", "CrimeCount")
    OldImport = apps.get_model("neighbourhoods", "CrimeImport")
    NewImport = apps.get_model("insights", "CrimeImport")
    CrimeRecord = apps.get_model("insights", "CrimeRecord")
    Area = apps.get_model("core", "Area")
    held = set(CrimeRecord.objects.values_list("falls_within", "month").distinct())
    for source in sorted(set(CrimeCount.objects.values_list("source", flat=True))):
        if " / " in source:
            continue
        counts = (CrimeCount.objects.filter(source=source).select_related("area").order_by("pk")
                  .exclude(month__in=[month for force, month in held if force == source[:200]]))
        first = counts.first()
        if first is None:
            continue
        root = Area.objects.get(pk=int(first.area.path.strip("/").split("/")[0]))
        old_imports = OldImport.objects.filter(source=source).order_by("-created_at")
        latest = old_imports.first()
        names = ", ".join(sorted({i.filename for i in old_imports if i.filename}))
        total = sum(count.count for count in counts)
        crime_import = NewImport.objects.create(
            area=root, file_name=f"Counts from the neighbourhood pages' import: {names or source}"[:255],
            status="done", rows_read=total, rows_imported=total,
            created_by_id=latest.created_by_id if latest else None)
        batch = []
        for count in counts.iterator():
            for number in range(count.count):
                fingerprint = hashlib.sha256(
                    f"neighbourhoods.CrimeCount\x1f{count.pk}\x1f{number}".encode()).hexdigest()
                batch.append(CrimeRecord(
                    crime_import=crime_import, fingerprint=fingerprint, month=count.month, reported_by=source[:200],
                    falls_within=source[:200], crime_type=count.crime_type, area_id=count.area_id))
                if len(batch) >= BATCH:
                    CrimeRecord.objects.bulk_create(batch, ignore_conflicts=True)
                    batch = []
        CrimeRecord.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('neighbourhoods', '0001_initial'),
        ('insights', '0002_contributionset_source_key_and_more'),
    ]

    operations = [
        migrations.RunPython(copy_counts_to_records, migrations.RunPython.noop),
    ]
