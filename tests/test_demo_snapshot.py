"""The suite's demo (tests/demo_snapshot.py): restored per test, row for row what `load_demo`
built, and gone again after the test."""

import pytest

from accreditation.models import SelfAssessment
from core.models import User
from funding.models import RecomputeRequest, ReleaseEntry
from partnerships.models import Partnership
from tests.demo_snapshot import snapshot_read_back

pytestmark = [pytest.mark.xdist_group("demo")]


@pytest.mark.django_db
def test_the_restored_demo_is_row_for_row_what_load_demo_built(demo):
    tables = {part.table for part in demo.tables}
    # The demo's own records, the reference data under it and the money it moved.
    assert {"partnerships_partnership", "accreditation_selfassessment", "core_user",
            "funding_releaseentry", "funding_recomputerequest", "core_trainingdate"} <= tables
    restored = snapshot_read_back(demo)
    for part in demo.tables:
        assert restored[part.table] == set(part.rows), part.table
    assert Partnership.objects.count() == 88
    assert SelfAssessment.objects.filter(cycle__year_start=2002).count() == 88
    assert ReleaseEntry.objects.exists()
    assert not RecomputeRequest.objects.filter(completed_at__isnull=True).exists()


@pytest.mark.django_db
def test_each_test_starts_from_the_demo_again(demo):
    """A change one test makes is not seen by the next (run in either order)."""
    User.objects.filter(email="analyst@nru.example").update(full_name="Changed by a test")
    assert User.objects.filter(full_name="Changed by a test").count() == 1
    demo_users = len(demo.rows("core_user"))
    assert User.objects.count() == demo_users


@pytest.mark.django_db
def test_and_again(demo):
    assert not User.objects.filter(full_name="Changed by a test").exists()
    assert User.objects.count() == len(demo.rows("core_user"))


@pytest.mark.django_db(transaction=True)
def test_a_committed_demo_is_flushed_after_the_test(demo):
    """For the live server (browser tests) the rows are committed, then flushed."""
    assert Partnership.objects.count() == 88


@pytest.mark.django_db
def test_without_the_fixture_there_is_no_demo():
    assert not Partnership.objects.exists()
    assert not User.objects.exists()


def test_under_loadgroup_the_demos_tests_share_one_worker(request):
    """Under `--dist loadgroup` (the Makefile's) this module's group is named in its tests' node
    ids, which is what sends them all to one worker (tests/conftest.py), so the demo is built
    once per run and restored there."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@demo"), request.node.nodeid
