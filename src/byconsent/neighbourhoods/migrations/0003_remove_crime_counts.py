"""The neighbourhood pages' own crime tables go: their counts were copied to insights.CrimeRecord in 0002."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('neighbourhoods', '0002_copy_crime_counts_to_insights_records'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='crimeimport',
            name='created_by',
        ),
        migrations.DeleteModel(
            name='CrimeCount',
        ),
        migrations.DeleteModel(
            name='CrimeImport',
        ),
    ]
