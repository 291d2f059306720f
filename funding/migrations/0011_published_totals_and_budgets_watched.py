"""On PostgreSQL, a committed change to a published national total or a regional budget moves
`funding_figuresversion` too (funding 0005, ADR 0011): the dashboard's offered fund-years, its
published total and its regional budgets are cached with the figures
(reporting/dashboard_choices.py), so a corrected total or budget must be read afresh at once,
whoever writes it (the reference data, the admin, a shell).
Other databases have no triggers and no figures cache.
"""

from django.db import migrations

WATCHED = ("funding_publishedtotal", "funding_regionalbudget")

CREATE = "".join(f"""
DROP TRIGGER IF EXISTS {table}_figures_any ON {table};
CREATE CONSTRAINT TRIGGER {table}_figures_any AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION funding_figures_changed();
""" for table in WATCHED)
DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_figures_any ON {table};\n" for table in WATCHED)


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0010_asat_effective_on"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
