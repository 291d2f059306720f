"""The ledger is append-only in the database itself on PostgreSQL.

A row trigger refuses UPDATE and DELETE of funding_releaseentry, whoever asks (raw SQL, a
shell, another service). TRUNCATE is deliberately left alone: it needs the table owner's
privileges, and Django's test flush and `manage.py flush` use it. Other databases (SQLite, the
embedded default) rely on the model and queryset refusals.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION funding_releaseentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'funding_releaseentry is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Post a correcting entry instead.';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS funding_releaseentry_append_only ON funding_releaseentry;
CREATE TRIGGER funding_releaseentry_append_only
    BEFORE UPDATE OR DELETE ON funding_releaseentry
    FOR EACH ROW EXECUTE FUNCTION funding_releaseentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS funding_releaseentry_append_only ON funding_releaseentry;
DROP FUNCTION IF EXISTS funding_releaseentry_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0002_releaseentry_allocation_pence"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
