"""The position as at a date on the February 2002 demo: the dashboard, the funding page, the NRU
drill-down, the CSV export and the allocations API, each against sums made here from the ledger
entries effective by the end of the day.

The demo is loaded on its date, 1 March 2002; Walsall's review is then recorded on 28 March 2002
(accredited), and the tests read on 29 March 2002. As at 1 March and 27 March, NRF 2002/03
released is the published £300m less the third of Walsall's share held while it was deferred,
and Walsall shows "Deferred: 67%"; as at 28 and 29 March everything is released.
"""

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from accreditation.models import SelfAssessment
from accreditation.services.decisions import assessment_accredit
from accreditation.services.review import assessment_start_review
from core.models import User
from funding.ledger import recompute_request_settle
from funding.models import Allocation, RecomputeRequest, ReleaseEntry
from reporting.api_tokens import api_token_create

from .service_date import service_date

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]

MARCH_1, MARCH_27, MARCH_28, MARCH_29 = (dt.date(2002, 3, d) for d in (1, 27, 28, 29))
THREE_HUNDRED_MILLION = 300_000_000 * 100
DASHBOARD = reverse("reporting:dashboard-show")


def _settle():
    # Inside the module's transaction the on-commit enqueues never fire: settle the owed
    # recomputes as the worker would.
    for request_id in RecomputeRequest.objects.filter(completed_at__isnull=True).values_list(
            "pk", flat=True):
        recompute_request_settle(request_id=request_id)


@pytest.fixture
def demo(demo):
    """The demo (loaded once per run, tests/demo_snapshot.py), then Walsall accredited on
    review on 28 March 2002; the service's today is 29 March 2002."""
    with service_date(MARCH_28):
        reviewer = User.objects.get(email="reviewer@west-midlands.go.example")
        walsall = SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)
        walsall = assessment_start_review(assessment=walsall, by=reviewer)
        assessment_accredit(assessment=walsall, by=reviewer, on=MARCH_28)
        _settle()
    with service_date(MARCH_29):
        yield demo


@pytest.fixture
def analyst(demo, client):
    client.force_login(User.objects.get(email="analyst@nru.example"))
    return client


def _walsall() -> Allocation:
    return Allocation.objects.get(partnership__slug="walsall", fund__code="NRF",
                                  year__label="2002/03")


def _walsall_held() -> int:
    amount = _walsall().amount_pence
    return amount - amount * 67 // 100


def _released_by(day: dt.date) -> dict[int, int]:
    """NRF 2002/03 released per allocation: the entries effective by the end of `day`, summed
    here from the rows."""
    released: dict[int, int] = defaultdict(int)
    for allocation_id, amount, effective_on in ReleaseEntry.objects.filter(
            allocation__fund__code="NRF", allocation__year__label="2002/03").values_list(
            "allocation_id", "amount_pence", "effective_on"):
        if effective_on <= day:
            released[allocation_id] += amount
    return released


def _text(response) -> str:
    html = response.content.decode()
    main = html[html.find("<main"):html.find("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#x27;", "'")


@pytest.mark.parametrize("day, held, accredited, deferred", [
    (MARCH_1, "walsall", 87, 1),
    (MARCH_27, "walsall", 87, 1),
    (MARCH_28, None, 88, 0),
    (MARCH_29, None, 88, 0),
])
def test_dashboard_as_at(analyst, day, held, accredited, deferred):
    response = analyst.get(DASHBOARD, {"as_at": day.isoformat()})
    assert response.status_code == 200
    headline = response.context["headline"]
    expected_held = _walsall_held() if held else 0
    assert headline.anticipated_pence == THREE_HUNDRED_MILLION
    assert headline.released_pence == sum(_released_by(day).values())
    assert headline.released_pence == THREE_HUNDRED_MILLION - expected_held
    assert headline.held_pence == expected_held
    assert (headline.accredited, headline.deferred, headline.undecided) == (accredited, deferred, 0)
    regions = {r.slug: r for r in response.context["regions"]}
    assert regions["west-midlands"].held_pence == expected_held
    assert regions["west-midlands"].deferred == deferred
    assert f"as at {day:%-d %B %Y}" in _text(response)
    rows = analyst.get(DASHBOARD, {"as_at": day.isoformat(), "region": "west-midlands"}
                       ).context["rows"]
    walsall = next(r for r in rows if r["slug"] == "walsall")
    assert walsall["status"] == ("deferred" if held else "accredited")
    assert walsall["held_pence"] == expected_held
    assert walsall["drilldown_href"].endswith(f"?as_at={day.isoformat()}") == (day < MARCH_29)


def test_today_is_the_default_and_says_so(analyst):
    response = analyst.get(DASHBOARD)
    assert "National dashboard: NRF 2002/03 as at 29 March 2002" in _text(response)
    assert response.context["headline"].held_pence == 0


def test_the_date_input_gives_the_same_figures_as_the_address(analyst):
    split = analyst.get(DASHBOARD, {"as_at_0": "1", "as_at_1": "3", "as_at_2": "2002"})
    iso = analyst.get(DASHBOARD, {"as_at": "2002-03-01"})
    assert split.context["headline"] == iso.context["headline"]
    assert split.context["headline"].held_pence == _walsall_held()


@pytest.mark.parametrize("url_name", ["funding:partnership-funding", "reporting:partnership-show"])
def test_walsalls_funding_as_at_the_first_of_march_and_after_its_review(analyst, url_name):
    url = reverse(url_name, args=["walsall"])
    amount = _walsall().amount_pence
    before = analyst.get(url, {"as_at": "2002-03-01"})
    (line,) = [line for line in before.context["summary"].lines
               if (line.allocation.fund.code, line.allocation.year.label) == ("NRF", "2002/03")]
    assert (line.basis, line.released_pence, line.held_pence) == (
        "Deferred", amount * 67 // 100, _walsall_held())
    assert "Deferred: 67%" in _text(before)
    assert "as at 1 March 2002" in _text(before)
    # The timeline stops at the day: the accreditation of 28 March is not in it yet.
    assert all(item.effective_on <= MARCH_1 for item, _ in before.context["timeline"])
    after = analyst.get(url, {"as_at": "2002-03-29"})
    assert "Accredited: 100%" in _text(after)
    assert any(item.effective_on == MARCH_28 for item, _ in after.context["timeline"])


def test_the_drill_down_shows_the_decision_in_force_then(analyst):
    url = reverse("reporting:partnership-show", args=["walsall"])
    html = analyst.get(url, {"as_at": "2002-03-27"}).content.decode()
    assert 'data-funding-state="deferred"' in html
    assert 'data-funding-state="accredited"' in analyst.get(url).content.decode()


def test_export_as_at_sums_to_the_days_released(analyst):
    response = analyst.get(reverse("reporting:dashboard-export-csv"), {"as_at": "2002-03-01"})
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Authority"  # the header row first; the as-at date is in the metadata
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    released = sum(int(Decimal(r["Released NRF 2002/03 (£)"]) * 100) for r in table)
    assert released == sum(_released_by(MARCH_1).values()) == THREE_HUNDRED_MILLION - _walsall_held()
    assert "20020301" in response["Content-Disposition"]
    metadata_url = re.search(r"<([^>]+)>", response["Link"]).group(1)
    metadata = analyst.get(metadata_url).json()
    assert metadata["dc:temporal"]["@value"] == "2002-03-01"


def test_api_as_at(demo, client):
    key = api_token_create(name="As-at tests", valid_days=30,
                           created_by=User.objects.get(email="admin@nru.example"))[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    url = reverse("reporting_api:allocation-list")
    for day, status, held in ((MARCH_1, "deferred", _walsall_held()), (MARCH_29, "accredited", 0)):
        body = client.get(url, {"as_at": day.isoformat(), "region": "west-midlands"}).json()
        (walsall,) = [r for r in body["results"] if r["partnership"] == "walsall"]
        assert (walsall["status"], walsall["held_pence"]) == (status, held)


def test_as_at_within_the_dashboards_query_budget(analyst, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        assert analyst.get(DASHBOARD, {"as_at": "2002-03-01"}).status_code == 200
