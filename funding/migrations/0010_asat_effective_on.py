"""Every ledger entry carries the date it takes effect (`effective_on`) beside when it was
recorded (`created_at`), with an index for the position as at a date.

Existing entries take their date from what caused them: an accreditation event's effective date
(a decision's date, accreditation 0005), a policy change's day, an allocation import's day (the
recompute request it recorded); anything else (an initial release, a repair, a recompute by an
administrator) the day it was recorded. Days are in the service's time zone.

The ledger is append-only in PostgreSQL itself (the row trigger of 0003), so the one UPDATE that
fills the new column runs with that trigger disabled, in this migration's transaction: no other
session can write the table meanwhile (ALTER TABLE holds its lock until commit), and the trigger
is back before the transaction ends. The figures version's deferred triggers (0005) see the
update; they are fired before the trigger is enabled again, because PostgreSQL refuses to alter a
table that still has trigger events pending. Going back drops the column; the rows stay.
"""

import core.clock
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import TruncDate

APPEND_ONLY = "funding_releaseentry_append_only"


def effective_on_fill(apps, schema_editor):
    Entry = apps.get_model("funding", "ReleaseEntry")
    Event = apps.get_model("accreditation", "AccreditationEvent")
    Change = apps.get_model("funding", "PolicyChange")
    Request = apps.get_model("funding", "RecomputeRequest")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE funding_releaseentry DISABLE TRIGGER {APPEND_ONLY}")
    Entry.objects.filter(event__isnull=False).update(effective_on=Subquery(
        Event.objects.filter(pk=OuterRef("event_id")).values("effective_on")[:1]))
    Entry.objects.filter(event__isnull=True, policy_change__isnull=False).update(
        effective_on=Subquery(Change.objects.filter(pk=OuterRef("policy_change_id"))
                              .annotate(day=TruncDate("changed_at")).values("day")[:1]))
    Entry.objects.filter(event__isnull=True, policy_change__isnull=True,
                         cause="allocation_change", request__isnull=False).update(
        effective_on=Subquery(Request.objects.filter(pk=OuterRef("request_id"))
                              .annotate(day=TruncDate("requested_at")).values("day")[:1]))
    Entry.objects.filter(event__isnull=True, policy_change__isnull=True).exclude(
        cause="allocation_change", request__isnull=False).update(
        effective_on=TruncDate("created_at"))
    if postgresql:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE funding_releaseentry ENABLE TRIGGER {APPEND_ONLY}")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ('accreditation', '0006_deferral_timestamps_on_the_clock'),
        ('funding', '0009_api_published_totals'),
    ]

    operations = [
        migrations.AddField(
            model_name='releaseentry',
            name='effective_on',
            field=models.DateField(default=core.clock.today, help_text="The date it takes effect: its decision's date, its policy change's or import's date, otherwise the day it was recorded (a repair, a recompute)."),
        ),
        migrations.AlterField(
            model_name='releaseentry',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=core.clock.now, help_text='When it was recorded.'),
        ),
        migrations.AddIndex(
            model_name='releaseentry',
            index=models.Index(fields=['allocation', 'effective_on'], include=('amount_pence',), name='releaseentry_as_at_idx'),
        ),
        # Last: PostgreSQL refuses ALTER TABLE and CREATE INDEX while the update's deferred
        # trigger events are pending.
        migrations.RunPython(effective_on_fill, migrations.RunPython.noop, elidable=False),
    ]
