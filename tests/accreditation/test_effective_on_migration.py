"""accreditation 0004 gives every existing event its effective date: a decision's event the
decision's date (Decision.decided_on, which may be earlier than when it was recorded), any other
the day it was recorded in the service's time zone."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accreditation", "0003_lsp_drafting_history_and_versions")]
LATEST = None


def _migrate(targets):
    executor = MigrationExecutor(connection)
    if targets is LATEST:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_events_take_effect_on_their_decisions_date_or_the_day_recorded():
    utc = dt.UTC
    try:
        apps = _migrate(BEFORE)
        region = apps.get_model("partnerships", "Region").objects.create(
            name="West Midlands", slug="west-midlands")
        authority = apps.get_model("partnerships", "LocalAuthority").objects.create(
            name="Walsall", slug="walsall", region=region)
        partnership = apps.get_model("partnerships", "Partnership").objects.create(
            local_authority=authority, name="Walsall LSP", slug="walsall",
            accountable_body="Walsall Council")
        cycle = apps.get_model("accreditation", "Cycle").objects.create(
            name="2002/03", year_start=2002, opens_on="2001-10-01",
            submission_deadline="2002-01-31", announcement_date="2002-02-28")
        assessment = apps.get_model("accreditation", "SelfAssessment").objects.create(
            partnership=partnership, cycle=cycle, status="deferred", review_date="2002-03-28")
        user = apps.get_model("core", "User").objects.create(email="reviewer@wm.example")
        decision = apps.get_model("accreditation", "Decision").objects.create(
            assessment=assessment, review_round=1, outcome="deferred", review_date="2002-03-28",
            decided_by=user, decided_on="2002-02-20",
            decided_at=dt.datetime(2002, 2, 26, 15, tzinfo=utc))
        Event = apps.get_model("accreditation", "AccreditationEvent")
        decided = Event.objects.create(assessment=assessment, from_status="under_review",
                                       to_status="deferred", decision=decision,
                                       at=dt.datetime(2002, 2, 26, 15, tzinfo=utc))
        # 23:30 UTC on 30 June is half past midnight on 1 July in London (summer time).
        submitted = Event.objects.create(assessment=assessment, from_status="draft",
                                         to_status="submitted",
                                         at=dt.datetime(2002, 6, 30, 23, 30, tzinfo=utc))

        apps = _migrate(LATEST)
        Event = apps.get_model("accreditation", "AccreditationEvent")
        assert Event.objects.get(pk=decided.pk).effective_on == dt.date(2002, 2, 20)
        assert Event.objects.get(pk=submitted.pk).effective_on == dt.date(2002, 7, 1)

        apps = _migrate(BEFORE)  # and back: the column goes, the rows stay
        assert apps.get_model("accreditation", "AccreditationEvent").objects.count() == 2
    finally:
        _migrate(LATEST)
