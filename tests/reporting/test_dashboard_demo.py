"""The dashboard, its export and the published decisions on the February 2002 demo: every figure
equals the sum computed here independently from the allocations and the ledger.

The demo (the `demo` fixture, tests/demo_snapshot.py) is loaded as `make run` loads it, on the
demo's date, 1 March 2002: after the 2002/03 announcement, before Walsall's review; every owed
recompute was settled after its commit."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import User
from core.money import pounds
from funding.models import Allocation, ReleaseEntry

from .service_date import service_date

DEMO_DATE = dt.date(2002, 3, 1)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]

THREE_HUNDRED_MILLION = 300_000_000 * 100


@pytest.fixture
def analyst(demo, client):
    client.force_login(User.objects.get(email="analyst@nru.example"))
    return client


def _independent():
    """NRF 2002/03 per partnership, summed in Python from the rows themselves."""
    allocations = {a.pk: a for a in Allocation.objects.filter(
        fund__code="NRF", year__label="2002/03").select_related("partnership__local_authority__region")}
    released = defaultdict(int)
    for allocation_id, amount in ReleaseEntry.objects.filter(
            allocation_id__in=allocations).values_list("allocation_id", "amount_pence"):
        released[allocation_id] += amount
    return allocations, released


def test_headline_equals_independent_sums(analyst):
    response = analyst.get(reverse("reporting:dashboard-show"))
    headline = response.context["headline"]
    allocations, released = _independent()
    assert headline.anticipated_pence == sum(a.amount_pence for a in allocations.values())
    assert headline.anticipated_pence == THREE_HUNDRED_MILLION
    assert headline.released_pence == sum(released.values())
    assert headline.held_pence == THREE_HUNDRED_MILLION - sum(released.values())
    walsall = next(a for a in allocations.values() if a.partnership.slug == "walsall")
    # Everything is released but the third of Walsall's share held while it is deferred.
    assert headline.held_pence == walsall.amount_pence - walsall.amount_pence * 67 // 100 > 0
    assert (headline.partnerships, headline.accredited, headline.deferred, headline.undecided) == (
        88, 87, 1, 0)
    by_provenance = defaultdict(int)
    for a in allocations.values():
        by_provenance[a.provenance] += a.amount_pence
    assert headline.illustrative_pence == by_provenance["illustrative"] > 0
    assert headline.published_pence + headline.derived_pence == (
        by_provenance["published"] + by_provenance["derived"])
    html = response.content.decode()
    assert "£300,000,000" in html


def test_walsall_held_is_33_percent_as_the_rule_rounds(analyst):
    response = analyst.get(reverse("reporting:dashboard-show"),
                           {"region": "west-midlands", "status": "deferred"})
    (walsall,) = response.context["rows"]
    assert walsall["slug"] == "walsall"
    amount = walsall["amount_pence"]
    # 67% released, rounded down to the penny; the rest (33%, rounded up) held.
    assert walsall["released_pence"] == amount * 67 // 100
    assert walsall["held_pence"] == amount - amount * 67 // 100
    assert Decimal(walsall["held_pence"]) / amount == pytest.approx(Decimal("0.33"), abs=Decimal("0.0001"))
    held = walsall["held_pence"]
    held_text = f"£{held // 100:,}.{held % 100:02d}"
    assert held_text in response.content.decode()


def test_regions_equal_independent_sums(analyst):
    response = analyst.get(reverse("reporting:dashboard-show"))
    allocations, released = _independent()
    expected = defaultdict(lambda: [0, 0, 0])
    for a in allocations.values():
        region = a.partnership.local_authority.region.slug
        expected[region][0] += a.amount_pence
        expected[region][1] += released[a.pk]
        expected[region][2] += 1
    regions = {r.slug: r for r in response.context["regions"]}
    assert len(regions) == 9
    for slug, (anticipated, released_total, count) in expected.items():
        region = regions[slug]
        assert (region.anticipated_pence, region.released_pence, region.partnership_count) == (
            anticipated, released_total, count)
        assert region.held_pence == anticipated - released_total
    assert (regions["west-midlands"].partnership_count, regions["north-west"].partnership_count,
            regions["london"].partnership_count) == (7, 21, 20)
    assert regions["west-midlands"].deferred == 1


def test_page_within_query_budget(analyst, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        assert analyst.get(reverse("reporting:dashboard-show")).status_code == 200


def test_export_reread_gives_the_national_total(analyst):
    response = analyst.get(reverse("reporting:dashboard-export-csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    at = next(n for n, row in enumerate(rows) if row and row[0] == "Authority")
    table = [dict(zip(rows[at], row, strict=True)) for row in rows[at + 1:]]
    assert len(table) == 88

    def pence(column):
        return sum(int(Decimal(r[column]) * 100) for r in table)

    assert pence("Anticipated NRF 2002/03 (£)") == THREE_HUNDRED_MILLION
    assert pence("NRF 2001/02 (£)") == 200_000_000 * 100
    assert pence("NRF 2003/04 (£)") == 400_000_000 * 100
    assert pence("Released NRF 2002/03 (£)") + pence("Held NRF 2002/03 (£)") == THREE_HUNDRED_MILLION
    headline = analyst.get(reverse("reporting:dashboard-show")).context["headline"]
    assert pence("Released NRF 2002/03 (£)") == headline.released_pence


def test_drill_down_of_walsall(analyst):
    html = analyst.get(reverse("reporting:partnership-show", args=["walsall"])).content.decode()
    assert "Deferred" in html
    assert "Review by 28 March 2002" in html
    assert "Read the letter" in html


def test_published_decisions_of_2002_03(demo, client):
    response = client.get(reverse("reporting_public:decisions-list"))
    html = response.content.decode()
    start = html.index('id="cycle-2002"')
    end = html.find('class="app-written-answer"', start)
    answer = html[start:end if end > 0 else None]
    assert "in the 88 local authority areas" in answer
    assert "87 partnerships have been accredited and 1 deferred" in answer
    assert f"which totals {pounds(THREE_HUNDRED_MILLION)}" in answer
    assert answer.count("<tbody") == 9  # a table per Government Office region


def _written_answer_2002(html: str) -> str:
    start = html.index('id="cycle-2002"')
    return html[start:html.index("Figures marked illustrative", start)]


def test_the_2002_03_announcement_was_recorded_by_the_demo_and_not_2003_04(demo):
    from reporting.models import Announcement

    announcement = Announcement.objects.get()
    assert (announcement.cycle.name, announcement.announced_on) == ("2002/03", dt.date(2002, 2, 28))
    assert (announcement.accredited, announcement.deferred, announcement.undecided) == (87, 1, 0)
    assert announcement.allocation_pence == THREE_HUNDRED_MILLION
    walsall = Allocation.objects.get(partnership__slug="walsall", fund__code="NRF",
                                     year__label="2002/03")
    held = walsall.amount_pence - walsall.amount_pence * 67 // 100
    assert announcement.held_pence == held
    assert announcement.released_pence == THREE_HUNDRED_MILLION - held


def test_2003_04_shows_nothing_on_the_demo_date(demo, client):
    """On 1 March 2002 the 2003/04 cycle is open but not announced: nothing of it is public."""
    with service_date(DEMO_DATE):
        html = client.get(reverse("reporting_public:decisions-list")).content.decode()
        assert "2003/04" not in html
        assert "87 partnerships have been accredited and 1 deferred" in html
        for name in ("decisions-show", "decisions-csv", "decisions-json"):
            url = reverse(f"reporting_public:{name}", args=[2003])
            assert client.get(url).status_code == 404, url


def test_walsall_accredited_on_review_is_an_update_beneath_the_written_answer(demo, client):
    """The written answer for 2002/03 keeps saying 87 accredited and Walsall deferred after the
    West Midlands reviewer accredits Walsall on 28 March 2002; the review is dated beneath it."""
    from accreditation.models import SelfAssessment
    from accreditation.services.decisions import assessment_accredit
    from accreditation.services.review import assessment_start_review

    listing = reverse("reporting_public:decisions-list")
    with service_date(DEMO_DATE):
        before = _written_answer_2002(client.get(listing).content.decode())
    reviewer = User.objects.get(email="reviewer@west-midlands.go.example")
    walsall = SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)
    review_day = dt.date(2002, 3, 28)
    walsall = assessment_start_review(assessment=walsall, by=reviewer, today=review_day)
    assessment_accredit(assessment=walsall, by=reviewer, on=review_day)

    with service_date(review_day):
        html = client.get(listing).content.decode()
    after = _written_answer_2002(html)
    assert after == before
    assert "87 partnerships have been accredited and 1 deferred" in after
    assert "88 partnerships" not in html
    assert "Deferred pending review (review by 28 March 2002)" in after
    assert ('<time datetime="2002-03-28">28 March 2002</time>: Walsall LSP accredited following '
            "review by the Government Office for West Midlands; its remaining NRF 2002/03 "
            "allocation released") in html
