"""Each role's home page on the February 2002 demo: what to do next, with counts and links, and
a budget of queries per role. The panels come from the apps that own them (accreditation,
performance, funding, reporting), registered in core's registry.

The demo is loaded once for the module (in a transaction rolled back at the end); each test runs
on the service's date it names (1 March 2002, the demo's, unless it says otherwise)."""

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accreditation.models import Cycle, SelfAssessment
from accreditation.selectors import deferral_round
from accreditation.services.decisions import assessment_accredit
from accreditation.services.deferral import deferral_progress_save, deferral_sign_off_request
from accreditation.services.drafting import assessment_start
from accreditation.services.review import assessment_start_review
from core.models import User
from reporting.api_tokens import api_token_create, api_token_revoke
from tests.reporting.service_date import service_date

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]

DEMO_DATE = dt.date(2002, 3, 1)
OFFICER = "officer@walsall.lsp.example"
CHAIR = "chair@walsall.lsp.example"
REVIEWER = "reviewer@west-midlands.go.example"
ANALYST = "analyst@nru.example"
ADMIN = "admin@nru.example"


def user(email: str) -> User:
    return User.objects.get(email=email)


def home(email: str, *, on: dt.date = DEMO_DATE) -> str:
    """The home page's main content as text, one line per block."""
    client = Client()
    client.force_login(user(email))
    with service_date(on):
        response = client.get(reverse("core:home"))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def walsall_2002() -> SelfAssessment:
    return SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)


# --- LSP officer ---------------------------------------------------------------------------------

def test_the_officer_is_told_to_respond_to_the_deferral_and_to_start_the_new_cycle(demo):
    html = home(OFFICER)
    steps = section(html, "next-walsall")
    a = walsall_2002()

    assert ("Respond to the areas of concern before your review on 28 March 2002 "
            "The 2002/03 review is in 27 days.") in text(steps)
    assert f'href="{reverse("accreditation:deferral-response", args=[a.pk])}"' in steps
    assert "Start the 2003/04 self-assessment" in text(steps)
    assert "Latest decision: 2002/03: Deferred , 26 February 2002." in text(steps)
    assert f'href="{reverse("accreditation:assessment-decision", args=[a.pk])}"' in steps
    money = text(section(html, "money"))
    assert re.search(r"Walsall LSP: £[\d,.]+ released, £[\d,.]+ held", money), money
    # Deferral first (the decision in force), then the new cycle: newest first within each.
    assert text(steps).index("Respond to") < text(steps).index("Start the 2003/04")


def test_the_officers_current_self_assessment_shows_tasks_done_and_the_deadline(demo):
    with service_date(DEMO_DATE):
        assessment_start(partnership=walsall_2002().partnership,
                         cycle=Cycle.objects.get(year_start=2003), by=user(OFFICER))
    steps = text(section(home(OFFICER), "next-walsall"))

    done = re.search(r"Continue the 2003/04 self-assessment (\d+) of (\d+) tasks completed\. "
                     r"Submit by 31 January 2003\.", steps)
    assert done, steps
    assert "Start the 2003/04" not in steps
    # The same count as the task list, where every answer carried forward from 2002/03 is
    # "Check again" and so not done.
    client = Client()
    client.force_login(user(OFFICER))
    a = SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2003)
    with service_date(DEMO_DATE):
        tasks = client.get(reverse("accreditation:assessment-tasks", args=[a.pk])).content.decode()
    assert f"You have completed {done[1]} of {done[2]} tasks" in tasks
    assert tasks.count("Check again") >= a.responses.count() > int(done[1])


# --- LSP chair -----------------------------------------------------------------------------------

def test_the_chair_is_told_when_a_response_waits_for_sign_off(demo):
    assert "Nothing is waiting for you" in text(section(home(CHAIR), "next-walsall"))
    a = walsall_2002()
    with service_date(DEMO_DATE):
        for item in deferral_round(a).items:
            deferral_progress_save(assessment=a, concern_id=item.concern.pk, by=user(OFFICER),
                                   text="The board agreed its role.", expected_version=0)
        deferral_sign_off_request(assessment=a, by=user(OFFICER))

    steps = section(home(CHAIR), "next-walsall")
    assert "Sign off the response to the areas of concern (2002/03)" in text(steps)
    assert f'href="{reverse("accreditation:deferral-sign-off", args=[a.pk])}"' in steps
    assert "Latest decision: 2002/03: Deferred" in text(steps)
    # The officer has done their part: no longer asked to respond, told it waits for the chair.
    officer = text(section(home(OFFICER), "next-walsall"))
    assert "Respond to the areas of concern" not in officer
    assert ("Your response to the areas of concern (2002/03) is waiting for the chair's sign-off"
            in officer)


# --- GO reviewer ---------------------------------------------------------------------------------

def test_the_reviewer_sees_reviews_coming_up_and_overdue_counted_per_cycle(demo):
    assert "Nothing is waiting for review." in text(section(home(REVIEWER), "next-reviews"))

    soon = section(home(REVIEWER, on=dt.date(2002, 3, 20)), "next-reviews")
    assert "2002/03 1 reviews due in the next 14 days" in text(soon)
    assert f'href="{reverse("review:queue")}#deferred-reviews"' in soon

    late = section(home(REVIEWER, on=dt.date(2002, 3, 30)), "next-reviews")
    assert "1 overdue reviews of deferred partnerships" in text(late)
    cycle = Cycle.objects.get(year_start=2002)
    assert f'href="{reverse("review:queue")}?cycle={cycle.pk}&amp;status=review_due"' in late
    assert "due in the next 14 days" not in text(late)


def test_another_regions_reviewer_is_not_told_of_walsall(demo):
    other = "reviewer@north-west.go.example"
    if not User.objects.filter(email=other).exists():
        pytest.skip("the demo has no North West reviewer")
    assert "Nothing is waiting for review." in text(
        section(home(other, on=dt.date(2002, 3, 30)), "next-reviews"))


# --- NRU analyst and administrator ---------------------------------------------------------------

def test_nru_staff_see_deferred_partnerships_money_held_and_the_ledger(demo):
    for email in (ANALYST, ADMIN):
        html = home(email)
        decisions = text(section(html, "nru-decisions"))
        assert "Since the 2002/03 announcement on 28 February 2002" in decisions
        assert "No decision since the announcement." in decisions
        assert "Partnerships deferred: 1" in decisions
        assert "Walsall LSP (2002/03): review on 28 March 2002, in 27 days" in decisions
        money = text(section(html, "nru-money"))
        assert "NRF 2002/03: £1,342,222.20 held of £300,000,000 allocated" in money
        assert "No recompute of released money is owed." in money
    assert 'id="training-clock"' not in home(ANALYST)


def test_a_decision_after_the_announcement_is_listed_for_nru(demo):
    a = walsall_2002()
    reviewer = user(REVIEWER)
    review_day = dt.date(2002, 3, 28)
    with service_date(review_day):
        assessment_start_review(assessment=a, by=reviewer)
        assessment_accredit(assessment=SelfAssessment.objects.get(pk=a.pk), by=reviewer)

    decisions = text(section(home(ANALYST, on=review_day), "nru-decisions"))
    assert "Walsall LSP : accredited, 28 March 2002" in decisions
    assert "Partnerships deferred: 0" in decisions
    steps = text(section(home(OFFICER, on=review_day), "next-walsall"))
    assert "Latest decision: 2002/03: Accredited , 28 March 2002." in steps


@override_settings(TRAINING_CLOCK=True)
def test_the_administrator_of_a_training_service_is_shown_its_date(demo):
    clock_panel = section(home(ADMIN), "training-clock")
    assert "Today in this training service is 1 March 2002." in text(clock_panel)
    assert f'href="{reverse("reporting:training-date")}"' in clock_panel


def test_the_administrator_is_shown_the_api_tokens_in_use_and_where_to_manage_them(demo):
    admin = user(ADMIN)
    api_token_create(name="Finance extract", valid_days=30, created_by=admin)
    api_token_create(name="Year-end extract", valid_days=90, created_by=admin)
    revoked, _key = api_token_create(name="Old extract", valid_days=30, created_by=admin)
    api_token_revoke(prefix=revoked.prefix, revoked_by=admin)
    # Twenty days on, the 30-day token expires within 14 days; the 90-day one does not.
    panel = section(home(ADMIN, on=dt.date.today() + dt.timedelta(days=20)), "api-tokens")
    assert "2 tokens in use, 1 expiring in the next 14 days." in text(panel)
    assert f'href="{reverse("reporting:api-tokens")}"' in panel
    assert 'id="api-tokens"' not in home(ANALYST)


# --- Query budgets -------------------------------------------------------------------------------

@pytest.mark.parametrize("email, budget", [
    # Session, user, roles with their scopes and the session's save (6) and the panels' reads:
    # the officer's partnership, assessments, deferral responses and decisions (4), the money
    # in total and any recompute owed (2), targets (2); 15 measured.
    (OFFICER, 16), (CHAIR, 16),
    # The reviewer's counts per cycle in one query.
    (REVIEWER, 10),
    # Announcement, decisions since, deferred, allocations and ledger sums, policies, recomputes,
    # the last reconciliation and (administrator) policy changes, failed emails and API tokens.
    (ANALYST, 17), (ADMIN, 20),
])
def test_each_roles_home_keeps_to_a_query_budget(demo, email, budget, django_assert_max_num_queries):
    client = Client()
    client.force_login(user(email))
    with service_date(DEMO_DATE), django_assert_max_num_queries(budget):
        assert client.get(reverse("core:home")).status_code == 200
