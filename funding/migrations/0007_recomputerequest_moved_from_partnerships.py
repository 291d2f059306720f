"""The funding outbox moves from `partnerships` to `funding`, rows and all.

State: `funding.RecomputeRequest` appears with the same fields, ordering and partial index, and
`ReleaseEntry.request` points at it; `partnerships` 0002 then drops its copy from the state.
Database: the one table is renamed, `partnerships_recomputerequest` to `funding_recomputerequest`,
so every row stays, with its id. The foreign key from `funding_releaseentry.request_id`, the
partial index `recompute_owed_idx` and the other indexes follow the table (PostgreSQL and SQLite
both carry them across a rename). No trigger reads the table (those of 0003 and 0005 watch the
ledger and the figures only).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

RENAME = 'ALTER TABLE "{old}" RENAME TO "{new}";'
OLD_TABLE, NEW_TABLE = "partnerships_recomputerequest", "funding_recomputerequest"


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0006_allocation_imported_at"),
        ("partnerships", "0001_initial"),
    ]
    # The partnerships app forgets its copy of the model only once this one owns it.
    run_before = [
        ("partnerships", "0002_recomputerequest_moved_to_funding"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    RENAME.format(old=OLD_TABLE, new=NEW_TABLE),
                    reverse_sql=RENAME.format(old=NEW_TABLE, new=OLD_TABLE),
                    elidable=False,
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="RecomputeRequest",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("cause", models.CharField(choices=[
                            ("event", "Accreditation event"),
                            ("policy_change", "Release policy change"),
                            ("allocation_change", "Allocation change"),
                            ("manual", "Recompute requested by an administrator"),
                        ], max_length=30)),
                        ("cause_id", models.BigIntegerField(blank=True, null=True)),
                        ("requested_at", models.DateTimeField(
                            db_index=True, default=django.utils.timezone.now)),
                        ("last_enqueued_at", models.DateTimeField(blank=True, null=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("partnership", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="recompute_requests", to="partnerships.partnership")),
                    ],
                    options={
                        "ordering": ["requested_at"],
                        "indexes": [models.Index(condition=models.Q(("completed_at__isnull", True)),
                                                 fields=["requested_at"],
                                                 name="recompute_owed_idx")],
                    },
                ),
                migrations.AlterField(
                    model_name="releaseentry",
                    name="request",
                    field=models.ForeignKey(blank=True, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="release_entries",
                                            to="funding.recomputerequest"),
                ),
            ],
        ),
    ]
