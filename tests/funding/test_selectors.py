"""Released and held figures, the funding summary and the timeline in words."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from funding.ledger import releases_recompute
from funding.models import Allocation, ReleaseOverride
from funding.policies import release_policy_change
from funding.selectors import (
    allocation_figures,
    partnership_funding_summary,
    partnership_funding_timeline,
    policy_partnerships_affected,
)

from .conftest import WALSALL_2002_PENCE, make_scenario

pytestmark = pytest.mark.django_db


def test_allocation_figures_are_ledger_sums_and_the_rest_is_held(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    other = make_scenario(name="Sandwell")  # nothing posted: released 0
    figures = {a.pk: a for a in allocation_figures()}
    assert figures[walsall.nrf_2002.pk].released_pence == 256_610_000
    assert figures[walsall.nrf_2002.pk].held_pence == 126_390_000
    assert figures[other.nrf_2002.pk].released_pence == 0
    assert figures[other.nrf_2002.pk].held_pence == other.nrf_2002.amount_pence
    for a in figures.values():
        assert a.released_pence + a.held_pence == a.amount_pence


def test_allocation_figures_aggregate_in_the_database(walsall):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    totals = allocation_figures(allocations=Allocation.objects.filter(
        partnership=walsall.partnership)).aggregate(r=Sum("released_pence"), h=Sum("held_pence"))
    assert totals == {"r": 256_610_000 + walsall.nrf_2001.amount_pence, "h": 126_390_000}


def test_the_summary_shows_each_allocation_why_and_the_owed_banner(walsall,
                                                                   django_assert_max_num_queries):
    walsall.defer()
    with django_assert_max_num_queries(6):
        summary = partnership_funding_summary(partnership=walsall.partnership)
    assert summary.recompute_owed and summary.owed_since is not None
    assert summary.released_pence == 0

    releases_recompute(partnership=walsall.partnership)
    summary = partnership_funding_summary(partnership=walsall.partnership)
    assert not summary.recompute_owed
    lines = {line.allocation.year.label: line for line in summary.lines}
    assert (lines["2002/03"].basis, lines["2002/03"].fraction) == ("Deferred", Decimal("0.67"))
    assert lines["2001/02"].basis == "Not tied to accreditation"
    assert lines["2002/03"].allocation.provenance == "illustrative"
    assert summary.released_pence + summary.held_pence == summary.amount_pence


def test_the_summary_names_an_own_share(walsall):
    ReleaseOverride.objects.create(policy=walsall.policy, partnership=walsall.partnership,
                                   fraction=Decimal("0.9"), reason="withheld")
    lines = {line.allocation.year.label: line
             for line in partnership_funding_summary(partnership=walsall.partnership).lines}
    assert (lines["2002/03"].basis, lines["2002/03"].fraction) == (
        "Own share set by policy", Decimal("0.9"))


def test_the_timeline_says_who_decided_and_what_moved(walsall, django_assert_max_num_queries):
    walsall.defer()
    releases_recompute(partnership=walsall.partnership)
    walsall.start_review()
    walsall.accredit()
    releases_recompute(partnership=walsall.partnership)
    change = release_policy_change(policy=walsall.policy, by=walsall.admin, reason="Holdback",
                                   overrides={walsall.partnership: Decimal("0.9")})
    releases_recompute(partnership=walsall.partnership)

    with django_assert_max_num_queries(1):
        timeline = partnership_funding_timeline(partnership=walsall.partnership)
    texts = [item.text for item in timeline]
    assert len(texts) == 4
    assert "Initial release → £2,553,333.33 released, £0 held" in texts
    assert "Decision deferred by GO West Midlands → £2,566,100 released, £1,263,900 held" in texts
    assert "Accredited by GO West Midlands → £3,830,000 released, £0 held" in texts
    assert texts[0] == (f"Release policy changed by {walsall.admin}: Holdback → £3,447,000 "
                        "released, £383,000 held")
    assert timeline[0].policy_change == change
    assert timeline[0].amount_pence == -WALSALL_2002_PENCE // 10


def test_policy_partnerships_affected_are_those_with_an_allocation(walsall):
    make_scenario(name="Sandwell")
    assert {p.slug for p in policy_partnerships_affected(policy=walsall.policy)} == {
        "walsall", "sandwell"}


def test_the_money_totals_are_the_summarys_in_two_queries(walsall, django_assert_num_queries):
    """The home page's glance (funding/panels.py): the summary's totals without its lines."""
    from funding.selectors import partnership_money_totals
    from tests.factories import PartnershipFactory

    walsall.defer()
    with django_assert_num_queries(2):
        totals = partnership_money_totals(partnership=walsall.partnership)
    assert totals.recompute_owed
    releases_recompute(partnership=walsall.partnership)
    totals = partnership_money_totals(partnership=walsall.partnership)
    summary = partnership_funding_summary(partnership=walsall.partnership)
    assert (totals.amount_pence, totals.released_pence, totals.held_pence, totals.recompute_owed) \
        == (summary.amount_pence, summary.released_pence, summary.held_pence, False)
    assert totals.released_pence == 256_610_000 + walsall.nrf_2001.amount_pence
    assert partnership_money_totals(partnership=PartnershipFactory()) is None
