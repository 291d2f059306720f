"""The money the partnership's pages show: its allocations on its home page, and what a
decision released or held on the decision page.

Of the accreditation pages, only this module imports funding (funding.models, funding.selectors).
It is a deliberate exception to the layers (funding builds on accreditation, not the other way),
kept in one place so an import contract can name it: a partnership reads the money that follows
its decision beside the decision. Put any other funding read a partnership's page needs here.
"""

from core.money import pounds
from funding.models import Allocation, ReleasePolicy
from funding.selectors import allocation_figures

from ..models import FundingState, SelfAssessment


def partnership_allocations(partnerships) -> dict[int, list[Allocation]]:
    """Each partnership's allocations with their figures, by partnership id, oldest year first."""
    figures = allocation_figures(
        allocations=Allocation.objects.filter(partnership__in=partnerships)
        .select_related("fund", "year", "source").order_by("year__start_year", "fund__code")
    )
    by_partnership: dict[int, list[Allocation]] = {}
    for allocation in figures:
        by_partnership.setdefault(allocation.partnership_id, []).append(allocation)
    return by_partnership


def funding_consequence(assessment: SelfAssessment) -> list[dict]:
    """The allocations this cycle governs, with released and held from the ledger."""
    policies = ReleasePolicy.objects.filter(governing_cycle=assessment.cycle)
    allocations = Allocation.objects.filter(
        partnership=assessment.partnership,
        fund_id__in=policies.values("fund_id"), year_id__in=policies.values("year_id"),
    ).select_related("fund", "year")
    figures = []
    for allocation in allocation_figures(allocations=allocations).order_by("year__start_year",
                                                                          "fund__code"):
        held = allocation.held_pence
        text = f"{pounds(allocation.released_pence)} released"
        if held:
            text += f", {pounds(held)} held" + (
                " until review" if assessment.funding_state == FundingState.DEFERRED else "")
        figures.append({"allocation": allocation, "text": text})
    return figures
