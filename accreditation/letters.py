"""Decision letters, and the funding effect in pounds that the letters and confirm pages state.

A letter is written once, from the decision as recorded, and stored on `Decision.letter`; the page
and the PDF show that stored text, so a later change here never rewrites a letter already sent.

Only views and the decision services' callers use this module (it reads funding data, which the
accreditation models and services never import).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from core import clock
from core.money import percent, pounds

from .models import Decision, FundingState, SelfAssessment

UNTIL = {
    FundingState.DEFERRED: "until a successful review",
    FundingState.ACCREDITED: "now that it is accredited",
    FundingState.UNDECIDED: "until a decision",
}


@dataclass(frozen=True)
class FundingEffect:
    """What one governed allocation releases in a funding state."""

    area: str
    fund: str
    year: str
    allocation_pence: int
    fraction: Decimal
    released_pence: int
    provenance: str

    @property
    def held_pence(self) -> int:
        return self.allocation_pence - self.released_pence

    def statement(self, state: str) -> str:
        """'Walsall will receive £x of its £y 2002/03 NRF allocation (67%) until a successful
        review; the other £z is held.' Each amount is stated once: all or none of an allocation
        is said in words."""
        allocation = (f"{pounds(self.allocation_pence)} {self.year} {self.fund} allocation "
                      f"({percent(self.fraction)}) {UNTIL[state]}")
        if self.held_pence == 0:
            return f"{self.area} will receive all of its {allocation}."
        if self.released_pence == 0:
            return f"{self.area} will receive none of its {allocation}."
        return (f"{self.area} will receive {pounds(self.released_pence)} of its {allocation}; "
                f"the other {pounds(self.held_pence)} is held.")


def funding_effects(*, assessment: SelfAssessment, funding_state: str) -> list[FundingEffect]:
    """The partnership's allocations governed by the assessment's cycle, and what each would
    release in `funding_state`: funding decides the fraction and the amount
    (`funding.basis.releases_in_state`, the rule the ledger posts by); the letter words them."""
    from funding.basis import releases_in_state

    partnership = assessment.partnership
    return [
        FundingEffect(
            area=partnership.local_authority.name, fund=release.policy.fund.code,
            year=release.policy.year.label, allocation_pence=release.allocation.amount_pence,
            fraction=release.fraction, released_pence=release.released_pence,
            provenance=release.allocation.get_provenance_display(),
        )
        for release in releases_in_state(partnership=partnership, cycle_id=assessment.cycle_id,
                                         funding_state=funding_state)
    ]


def _long(d: date) -> str:
    return f"{d:%-d %B %Y}"


def letter_compose(decision: Decision, *, effects: list[FundingEffect]) -> str:
    """The letter's text: paragraphs separated by blank lines, list items starting '- '."""
    assessment = decision.assessment
    partnership = assessment.partnership
    region = partnership.local_authority.region
    chair = partnership.members.filter(role="chair").first()
    chair_line = (
        f"{chair.representative}, Chair" if chair and chair.representative else "The Chair"
    )
    outcome = decision.outcome
    Outcome = Decision.Outcome
    paras = [
        region.government_office,
        _long(decision.decided_on),
        f"{chair_line}, {partnership.name}\n{partnership.accountable_body} (accountable body)",
        f"Dear {chair.representative if chair and chair.representative else 'Chair'},",
        f"Accreditation of {partnership.name}: {assessment.cycle.name}",
    ]
    if outcome != Outcome.RETURNED:  # a return leaves the round open until it is resubmitted
        paras.append(f"This letter closes review round {decision.review_round}.")
    deferral = (assessment.decisions.filter(outcome=Outcome.DEFERRED,
                                            review_round=decision.review_round - 1)
                .order_by("-decided_at", "-id").first() if decision.review_round > 1 else None)
    if deferral is not None and outcome != Outcome.RETURNED:
        paras += _re_review_paragraphs(decision, deferral)
    elif outcome == Outcome.ACCREDITED:
        paras.append(
            f"Following our review of your self-assessment with key local stakeholders, I am "
            f"pleased to confirm that {partnership.name} is accredited for {assessment.cycle.name}."
        )
    elif outcome == Outcome.ACCREDITED_WITH_CONCERNS:
        paras.append(
            f"Following our review of your self-assessment with key local stakeholders, I am "
            f"pleased to confirm that {partnership.name} is accredited for {assessment.cycle.name}. "
            "We have identified the areas of concern below. Next year the partnership will need "
            "to show the progress it has made on each of them."
        )
    elif outcome == Outcome.DEFERRED:
        paras.append(
            f"Following our review of your self-assessment with key local stakeholders, "
            f"{partnership.name}'s accreditation for {assessment.cycle.name} is deferred pending "
            f"a review by the {region.government_office} on {_long(decision.review_date)}. "
            "The areas of concern below must be addressed before that review."
        )
    else:
        paras.append(
            f"We are returning {partnership.name}'s {assessment.cycle.name} self-assessment for "
            "changes. Please revise the requirements below and submit it again, signed off by "
            "your chair."
        )
    concerns = list(decision.concerns.select_related("requirement"))
    if concerns:
        items = ["Areas of concern:"]
        for c in concerns:
            due = f" By {_long(c.due_by)}." if c.due_by else ""
            items.append(
                f"- {c.requirement.code} {c.requirement.title}: {c.concern} "
                f"Action required: {c.action_required}{due}"
            )
        paras.append("\n".join(items))
    if outcome == Outcome.RETURNED:
        reasons = [
            f"- {r.requirement.code} {r.requirement.title}: {r.return_reason}"
            for r in assessment.responses.select_related("requirement") if r.return_reason
        ]
        if reasons:
            paras.append("\n".join(["Changes needed:", *reasons]))
    if outcome != Outcome.RETURNED:
        state = FundingState.DEFERRED if outcome == Outcome.DEFERRED else FundingState.ACCREDITED
        for effect in effects:
            paras.append(effect.statement(state))
    if decision.summary and decision.summary not in {"Accredited", "Deferred pending review"}:
        paras.append(decision.summary)
    paras += [
        "Yours sincerely,",
        f"{decision.decided_by}\n{region.government_office}",
    ]
    return "\n\n".join(paras)


def _re_review_paragraphs(decision: Decision, deferral: Decision) -> list[str]:
    """The opening of a letter that closes a review after a deferral."""
    assessment = decision.assessment
    partnership = assessment.partnership
    region = partnership.local_authority.region
    responded = getattr(deferral, "deferral_response", None)
    answered = bool(responded and responded.signed_off_at)
    basis = (f"Following our review of your response to the areas of concern set out in our "
             f"letter of {_long(deferral.decided_on)}" if answered else
             f"Following our review of the areas of concern set out in our letter of "
             f"{_long(deferral.decided_on)} (we received no response to them)")
    Outcome = Decision.Outcome
    if decision.outcome == Outcome.ACCREDITED:
        return [f"{basis}, I am pleased to confirm that {partnership.name} is accredited for "
                f"{assessment.cycle.name}."]
    if decision.outcome == Outcome.ACCREDITED_WITH_CONCERNS:
        return [f"{basis}, I am pleased to confirm that {partnership.name} is accredited for "
                f"{assessment.cycle.name}. We have identified the areas of concern below. Next "
                "year the partnership will need to show the progress it has made on each of them."]
    return [f"{basis}, {partnership.name}'s accreditation for {assessment.cycle.name} remains "
            f"deferred pending a further review by the {region.government_office} on "
            f"{_long(decision.review_date)}. The areas of concern below must be addressed before "
            "that review."]


def letter_writer(*, effects: list[FundingEffect]):
    """A function for the decision services: writes the letter from the decision once recorded."""
    return lambda decision: letter_compose(decision, effects=effects)


def letter_blocks(text: str) -> list[dict]:
    """Split stored letter text into paragraphs and lists for the page and the PDF."""
    blocks = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        items = [line[2:] for line in lines if line.startswith("- ")]
        if items:
            heading = [line for line in lines if not line.startswith("- ")]
            blocks.append({"lines": heading, "items": items})
        else:
            blocks.append({"lines": lines, "items": []})
    return blocks


def letter_pdf_filename(decision: Decision) -> str:
    a = decision.assessment
    return f"{a.partnership.slug}-{a.cycle.name.replace('/', '-')}-decision-{decision.pk}.pdf"


def letter_pdf_html(decision: Decision) -> str:
    """The HTML the PDF is printed from: the stored letter, every line of it escaped."""
    return render_to_string("review/letter_pdf.html", {
        "decision": decision, "blocks": letter_blocks(decision.letter),
        "generated_at": clock.now(),
    })


def letter_pdf(decision: Decision) -> bytes:
    """The stored letter as a PDF (WeasyPrint)."""
    from weasyprint import HTML

    return HTML(string=letter_pdf_html(decision)).write_pdf()
