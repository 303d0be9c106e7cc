"""QuestionnaireLink moved to the followup app (issue 14: outcomes is the low app of measurements, followup the high
one that reads plans). Django's state forgets it here; followup 0001 adopts the same table, so no row moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_measurement_based_care"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="QuestionnaireLink")],
            database_operations=[],
        ),
    ]
