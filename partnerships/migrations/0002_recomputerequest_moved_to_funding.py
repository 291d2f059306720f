"""`RecomputeRequest` now belongs to `funding` (funding 0007 renamed its table and took over the
rows): the model leaves this app's state; nothing in the database changes here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("partnerships", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RecomputeRequest")],
            database_operations=[],
        ),
    ]
