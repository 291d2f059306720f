"""On PostgreSQL, any committed change to what the national dashboard's regional figures or the
published decisions are computed from moves `funding_figuresversion.version` to a new number
(ADR 0011).

The triggers are constraint triggers, DEFERRABLE INITIALLY DEFERRED: they run when the writing
transaction commits, after it has taken every other lock it needed, so the one version row is
locked only for the moment of the commit and never held while waiting for another lock (no
deadlock with recomputes that lock allocations). The first row event of a transaction writes the
row; the others see the transaction-local marker and return. The number comes from a sequence,
which a rollback never gives back: a cache entry keyed on a version can never be mistaken for the
figures of a later transaction. The row is upserted, so it comes back after a TRUNCATE (`flush`).

Watched: allocations, the ledger, release policies, regions, cycles, funds, financial years and
sources (any row change); self-assessments (insert, delete, or a change of funding state, review date, cycle or
partnership: the officer's autosaves are not watched); partnerships (their authority or name) and
authorities (their region, name or GSS code).
Other databases (SQLite, the embedded default) have no triggers: nothing is cached there.
"""

from django.db import migrations

FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS funding_figures_version_seq;

CREATE OR REPLACE FUNCTION funding_figures_changed() RETURNS trigger AS $$
BEGIN
    IF current_setting('lsp_portal.figures_changed', true) IS DISTINCT FROM txid_current()::text
    THEN
        INSERT INTO funding_figuresversion (id, version, changed_at)
        VALUES (1, nextval('funding_figures_version_seq'), clock_timestamp())
        ON CONFLICT (id) DO UPDATE
            SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
        PERFORM set_config('lsp_portal.figures_changed', txid_current()::text, true);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

INSERT INTO funding_figuresversion (id, version, changed_at)
VALUES (1, nextval('funding_figures_version_seq'), clock_timestamp())
ON CONFLICT (id) DO NOTHING;
"""

# (table, trigger suffix, events, WHEN condition or None)
WATCHED = [
    *[(table, "any", "INSERT OR UPDATE OR DELETE", None) for table in (
        "funding_allocation", "funding_releaseentry", "funding_fund", "funding_financialyear",
        "funding_releasepolicy", "partnerships_region", "accreditation_cycle", "core_source",
    )],
    ("accreditation_selfassessment", "rows", "INSERT OR DELETE", None),
    ("accreditation_selfassessment", "state", "UPDATE",
     "OLD.funding_state IS DISTINCT FROM NEW.funding_state "
     "OR OLD.review_date IS DISTINCT FROM NEW.review_date "
     "OR OLD.cycle_id IS DISTINCT FROM NEW.cycle_id "
     "OR OLD.partnership_id IS DISTINCT FROM NEW.partnership_id"),
    ("partnerships_partnership", "rows", "INSERT OR DELETE", None),
    ("partnerships_partnership", "shown", "UPDATE",
     "OLD.local_authority_id IS DISTINCT FROM NEW.local_authority_id "
     "OR OLD.name IS DISTINCT FROM NEW.name"),
    ("partnerships_localauthority", "rows", "INSERT OR DELETE", None),
    ("partnerships_localauthority", "shown", "UPDATE",
     "OLD.region_id IS DISTINCT FROM NEW.region_id "
     "OR OLD.name IS DISTINCT FROM NEW.name "
     "OR OLD.gss_code IS DISTINCT FROM NEW.gss_code"),
]


def _name(table, suffix):
    return f"{table}_figures_{suffix}"


def _create():
    statements = [FUNCTION]
    for table, suffix, events, when in WATCHED:
        condition = f"WHEN ({when})" if when else ""
        statements.append(
            f"DROP TRIGGER IF EXISTS {_name(table, suffix)} ON {table};\n"
            f"CREATE CONSTRAINT TRIGGER {_name(table, suffix)} AFTER {events} ON {table}\n"
            f"    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {condition}\n"
            f"    EXECUTE FUNCTION funding_figures_changed();"
        )
    return "\n".join(statements)


def _drop():
    statements = [f"DROP TRIGGER IF EXISTS {_name(table, suffix)} ON {table};"
                  for table, suffix, _events, _when in WATCHED]
    statements.append("DROP FUNCTION IF EXISTS funding_figures_changed();")
    statements.append("DROP SEQUENCE IF EXISTS funding_figures_version_seq;")
    return "\n".join(statements)


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0004_figuresversion"),
        ("accreditation", "0003_lsp_drafting_history_and_versions"),
        ("partnerships", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(_create()), _on_postgresql(_drop()), elidable=False),
    ]
