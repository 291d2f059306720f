"""The partnership's progress on its targets in the accreditation: on the officer's page for
"Common priorities and targets" (R3), and on the Government Office's review page beside the
partnership's self-rating of R3. Returns count up to the financial year the cycle unlocks."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CycleFactory, PartnershipFactory, RoleAssignmentFactory, SelfAssessmentFactory
from tests.performance.factories import ProgressReturnFactory, TargetFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def walsall():
    partnership = PartnershipFactory(local_authority__name="Walsall")
    cycle = CycleFactory(year_start=2003, requirements=4)
    burglary = TargetFactory(partnership=partnership, title="Fewer burglaries")   # 40 -> 30 by 2005/06
    ProgressReturnFactory(target=burglary, year=2003, actual=D("36"),             # amber in 2003/04
                          commentary="Two estates started late.")
    ProgressReturnFactory(target=burglary, year=2004, actual=D("30"))             # after the cycle's year
    TargetFactory(partnership=partnership, title="Better GCSE results", theme="education",
                  unit="percent", baseline_value=D("31"), target_value=D("40"))
    TargetFactory(title="Someone else's target")
    return {"partnership": partnership, "cycle": cycle}


def _section(html: str) -> str:
    found = re.search(r'<section class="app-progress-summary".*?</section>', html, re.S)
    assert found, "no progress summary on the page"
    return found.group(0)


def test_officer_sees_the_summary_on_the_common_priorities_requirement(client, walsall):
    assessment = SelfAssessmentFactory(partnership=walsall["partnership"], cycle=walsall["cycle"])
    client.force_login(RoleAssignmentFactory(officer=True, partnership=walsall["partnership"]).user)

    html = client.get(reverse("accreditation:response-edit", args=[assessment.pk, "R3"])).content.decode()

    summary = _section(html)
    assert "Each target's latest progress return for 2003/04 or before." in summary
    assert "2 targets: 0 on track, 1 at risk, 0 off track, 1 with no return yet." in summary
    assert "Fewer burglaries" in summary and "2003/04: 36 (target 30 by 2005/06)" in summary
    assert "Better GCSE results" in summary
    assert "Someone else&#x27;s target" not in summary and "Someone else's target" not in summary
    assert reverse("performance:target-list", args=[walsall["partnership"].slug]) in summary


def test_other_requirements_do_not_show_it(client, walsall):
    assessment = SelfAssessmentFactory(partnership=walsall["partnership"], cycle=walsall["cycle"])
    client.force_login(RoleAssignmentFactory(officer=True, partnership=walsall["partnership"]).user)
    html = client.get(reverse("accreditation:response-edit", args=[assessment.pk, "R1"])).content.decode()
    assert "app-progress-summary" not in html


def test_reviewer_sees_it_beside_the_self_rating_of_r3(client, walsall):
    assessment = SelfAssessmentFactory(partnership=walsall["partnership"], cycle=walsall["cycle"],
                                       submitted=True)
    reviewer = RoleAssignmentFactory(reviewer=True, region=walsall["partnership"].region).user
    client.force_login(reviewer)

    html = client.get(reverse("review:assessment-detail", args=[assessment.pk])).content.decode()

    card = re.search(r'<div class="govuk-summary-card" id="requirement-R3">.*?</section>', html, re.S)
    assert card, "the summary is not in the R3 card"
    assert "Partnership&#x27;s rating" in card.group(0) or "Partnership's rating" in card.group(0)
    assert "1 at risk" in _section(html)
    assert html.count("app-progress-summary") == 1
    # The target pages it links to are open to the region's reviewer.
    target_url = re.search(r'href="(/performance/targets/\d+/)"', _section(html)).group(1)
    assert client.get(target_url).status_code == 200


def test_a_partnership_with_no_targets_is_told_so(client):
    partnership = PartnershipFactory()
    assessment = SelfAssessmentFactory(partnership=partnership, cycle=CycleFactory(year_start=2002))
    client.force_login(RoleAssignmentFactory(chair=True, partnership=partnership).user)
    html = client.get(reverse("accreditation:response-edit", args=[assessment.pk, "R3"])).content.decode()
    assert "The partnership has not recorded any targets yet." in _section(html)
