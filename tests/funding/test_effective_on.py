"""Each ledger entry takes effect on its cause's date, beside when it was recorded: a decision's
own date (recorded later), a policy change's day, a repair's day (the clock's today)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from core import clock
from funding.ledger import recompute_request_settle, releases_reconcile
from funding.models import RecomputeRequest, ReleaseEntry
from funding.policies import release_policy_change

from .conftest import DECIDED_ON
from .test_services import _insert_bogus_entry


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _settle():
    for pk in RecomputeRequest.objects.filter(completed_at=None).values_list("pk", flat=True):
        recompute_request_settle(request_id=pk)


def _recorded_and_effective(entry: ReleaseEntry) -> tuple[dt.date, dt.date]:
    return timezone.localdate(entry.created_at), entry.effective_on


def test_entries_take_effect_on_their_causes_dates(walsall):
    with clock.held_at(_noon(dt.date(2002, 3, 5))):  # recorded a week after the decision's date
        walsall.defer()
        _settle()
    deferral = ReleaseEntry.objects.get(cause="event", allocation=walsall.nrf_2002)
    assert _recorded_and_effective(deferral) == (dt.date(2002, 3, 5), DECIDED_ON)

    with clock.held_at(_noon(dt.date(2002, 3, 10))):
        release_policy_change(policy=walsall.policy, by=walsall.admin, reason="Half",
                              fraction_deferred=Decimal("0.5"))
        _settle()
    change = ReleaseEntry.objects.get(cause="policy_change")
    assert _recorded_and_effective(change) == (dt.date(2002, 3, 10), dt.date(2002, 3, 10))

    _insert_bogus_entry(walsall.nrf_2002, 99)
    with clock.held_at(_noon(dt.date(2002, 3, 20))):
        releases_reconcile(repair=True)
    repair = ReleaseEntry.objects.get(cause="repair")
    assert _recorded_and_effective(repair) == (dt.date(2002, 3, 20), dt.date(2002, 3, 20))
