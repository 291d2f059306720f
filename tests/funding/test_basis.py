"""One place decides a fraction (`funding.basis`): what a decision letter states for a funding
state is what the ledger holds once the partnership is in that state."""

from decimal import Decimal

import pytest

from funding.basis import FractionResolver, releases_in_state
from funding.ledger import releases_recompute
from funding.models import ReleaseOverride
from funding.selectors import allocation_figures

from .conftest import WALSALL_2002_PENCE


@pytest.mark.parametrize(("decide", "state", "own_share", "released"), [
    ("defer", "deferred", None, WALSALL_2002_PENCE * 67 // 100),
    ("accredit", "accredited", None, WALSALL_2002_PENCE),
    ("accredit", "accredited", Decimal("0.9000"), WALSALL_2002_PENCE * 9 // 10),
])
def test_what_the_letter_states_is_what_the_ledger_then_holds(walsall, decide, state, own_share,
                                                              released):
    if own_share is not None:
        ReleaseOverride.objects.create(policy=walsall.policy, partnership=walsall.partnership,
                                       fraction=own_share, reason="Withheld 10%")
    (stated,) = releases_in_state(partnership=walsall.partnership, cycle_id=walsall.cycle.pk,
                                  funding_state=state)
    assert (stated.allocation, stated.released_pence) == (walsall.nrf_2002, released)

    getattr(walsall, decide)()
    releases_recompute(partnership=walsall.partnership)

    basis = FractionResolver.load([walsall.partnership.pk]).basis(walsall.nrf_2002)
    assert (basis.state, basis.fraction) == (state, stated.fraction)
    ledger = allocation_figures().get(pk=walsall.nrf_2002.pk)
    assert ledger.released_pence == stated.released_pence


def test_an_ungoverned_year_is_not_stated_in_a_letter(walsall):
    # NRF 2001/02 has no policy governed by the cycle: the letter says nothing of it.
    stated = releases_in_state(partnership=walsall.partnership, cycle_id=walsall.cycle.pk,
                               funding_state="deferred")
    assert [s.allocation for s in stated] == [walsall.nrf_2002]
