"""On PostgreSQL, what was announced cannot be changed by anyone, and the published pages'
figures version follows decisions and announcements.

- A row trigger refuses UPDATE and DELETE of reporting_announcement and
  reporting_announceddecision, whoever asks (raw SQL, a shell, the admin), as funding 0003 does
  for the ledger. TRUNCATE is left alone (Django's test flush and `manage.py flush` use it).
- The public pages show dated updates read from accreditation_decision and the announcement
  records, so any committed change to them moves `funding_figuresversion` like the other tables
  those pages read (funding 0005, ADR 0011).
Other databases (SQLite, the embedded default) rely on the model and queryset refusals and have
no figures cache.
"""

from django.db import migrations

KEPT = ("reporting_announcement", "reporting_announceddecision")
WATCHED = ("accreditation_decision", "reporting_announcement", "reporting_announceddecision")

CREATE = """
CREATE OR REPLACE FUNCTION reporting_kept_as_announced() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is kept as announced: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Later decisions are shown as dated updates beneath the announcement.';
END;
$$ LANGUAGE plpgsql;
""" + "".join(f"""
DROP TRIGGER IF EXISTS {table}_kept ON {table};
CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION reporting_kept_as_announced();
""" for table in KEPT) + "".join(f"""
DROP TRIGGER IF EXISTS {table}_figures_any ON {table};
CREATE CONSTRAINT TRIGGER {table}_figures_any AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION funding_figures_changed();
""" for table in WATCHED)

DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_figures_any ON {table};\n" for table in WATCHED) + \
    "".join(f"DROP TRIGGER IF EXISTS {table}_kept ON {table};\n" for table in KEPT) + \
    "DROP FUNCTION IF EXISTS reporting_kept_as_announced();\n"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0001_announcements"),
        ("funding", "0005_figures_version_triggers"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
