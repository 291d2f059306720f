"""The reviewer's pages: every URL as every role, the queue, the review, each decision through
its form and confirm page, stale pages, bulk accreditation and the letters."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accreditation.models import (
    AccreditationEvent,
    Decision,
    SelfAssessment,
    StakeholderView,
    Status,
)
from accreditation.services.decisions import assessment_accredit
from accreditation.services.drafting import assessment_submit, evidence_attach
from accreditation.services.review import response_go_rate
from funding.models import RecomputeRequest
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    LocalAuthorityFactory,
    MemberFactory,
    PartnershipFactory,
    RegionFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_MONTH = TODAY + dt.timedelta(days=30)
WALSALL_PENCE = 383_000_000


def fresh(assessment) -> SelfAssessment:
    return SelfAssessment.objects.get(pk=assessment.pk)


def text(response) -> str:
    """The page's main content as plain text, for reading assertions."""
    html = response.content.decode()
    main = html[html.find("<main"):html.find("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#x27;", "'")


@pytest.fixture
def world():
    """Built once per test process and restored per test (tests/row_snapshot.py)."""
    return restored(_world)


def _world():
    region = RegionFactory(name="West Midlands")
    cycle = CycleFactory()
    walsall = PartnershipFactory(
        local_authority=LocalAuthorityFactory(name="Walsall", region=region))
    MemberFactory(partnership=walsall, chair=True, organisation="Walsall Council",
                  representative="Jo Chair", sector="public")
    MemberFactory(partnership=walsall, organisation="Walsall Voluntary Action", sector="voluntary")
    ReleasePolicyFactory(governing_cycle=cycle)
    AllocationFactory(partnership=walsall, amount_pence=WALSALL_PENCE)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region,
                                     user__email="reviewer@west-midlands.go.example",
                                     user__full_name="Pat Reviewer").user
    officer = RoleAssignmentFactory(officer=True, partnership=walsall,
                                    user__email="officer@walsall.lsp.example").user
    assessment = SelfAssessmentFactory(partnership=walsall, cycle=cycle, submitted=True)
    # A decided assessment of the region with a letter, for the letter pages.
    decided = SelfAssessmentFactory(cycle=cycle, under_review=True, reviewer_user=reviewer,
                                    partnership__local_authority__region=region)
    assessment_accredit(assessment=decided, by=reviewer, letter="Dear Chair,\n\nAccredited.")
    other_region = RegionFactory(name="North West")
    return {
        "region": region, "cycle": cycle, "walsall": walsall, "reviewer": reviewer,
        "officer": officer, "assessment": fresh(assessment), "decided": fresh(decided),
        "decision": Decision.objects.get(assessment=decided),
        "other_reviewer": RoleAssignmentFactory(reviewer=True, region=other_region).user,
        "other_officer": RoleAssignmentFactory(officer=True).user,
        "analyst": RoleAssignmentFactory(analyst=True).user,
    }


def signed_in(client, user):
    client.force_login(user)
    return client


def start(client, world):
    a = world["assessment"]
    client.post(reverse("review:assessment-start", args=[a.pk]), {"version": a.version})
    return fresh(a)


# --- Every URL as every role ---------------------------------------------------------------------

ASSESSMENT_PAGES = ["assessment-detail", "decision-choose", "assessment-accredit",
                    "assessment-accredit-with-concerns", "assessment-defer", "assessment-return",
                    "stakeholder-view-add"]


def urls(world):
    a = world["assessment"]
    requirement = a.cycle.requirements.order_by("order").first()
    decision = world["decision"]
    return {
        "queue": reverse("review:queue"),
        "bulk-accredit": reverse("review:bulk-accredit"),
        "assessment-start": reverse("review:assessment-start", args=[a.pk]),
        "response-rate": reverse("review:response-rate", args=[a.pk, requirement.pk]),
        **{name: reverse(f"review:{name}", args=[a.pk]) for name in ASSESSMENT_PAGES},
        "decision-letter": reverse("review:decision-letter", args=[decision.pk]),
        "decision-letter-pdf": reverse("review:decision-letter-pdf", args=[decision.pk]),
    }


ALL_URLS = ["queue", "bulk-accredit", "assessment-start", "response-rate", *ASSESSMENT_PAGES,
            "decision-letter", "decision-letter-pdf"]
LETTERS = {"decision-letter", "decision-letter-pdf"}


@pytest.mark.parametrize("name", ALL_URLS)
@pytest.mark.parametrize("role", ["other_reviewer", "officer", "other_officer", "analyst"])
def test_every_page_is_404_for_anyone_but_the_regions_reviewer(client, world, name, role):
    """Reviewer pages are for the region's GO reviewers only: another region's reviewer has a
    queue of their own, without Walsall, and 404 for Walsall's pages. The letter is the
    partnership's document: NRU may read it, and so may that partnership's own officers (the
    fixture's letter is another partnership's, so Walsall's officer gets 404)."""
    signed_in(client, world[role])
    url = urls(world)[name]
    response = client.get(url)
    if name in LETTERS and role == "analyst":
        assert response.status_code == 200
    elif name in ("queue", "bulk-accredit") and role == "other_reviewer":
        assert response.status_code == 200
        assert "Walsall" not in text(response)
    else:
        assert response.status_code == 404
        # A page without a POST handler answers 405 whoever asks: it reveals nothing.
        assert client.post(url, {"version": 1, "confirm": "yes"}).status_code in (404, 405)


@pytest.mark.parametrize("name", ALL_URLS)
def test_anonymous_is_sent_to_sign_in(client, world, name):
    for response in (client.get(urls(world)[name]), client.post(urls(world)[name])):
        assert response.status_code == 302
        assert response.url.startswith(reverse("core:sign-in"))


@pytest.mark.parametrize("name", ALL_URLS)
def test_the_regions_reviewer_gets_every_page(client, world, name):
    signed_in(client, world["reviewer"])
    start(client, world)
    response = client.get(urls(world)[name])
    if name == "assessment-start":
        assert response.status_code == 302  # a POST-only action: GET goes back to the review
    else:
        assert response.status_code == 200
    if name == "decision-letter-pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_the_partnerships_own_officer_reads_its_letter(client, world):
    reviewer, a = world["reviewer"], world["assessment"]
    signed_in(client, reviewer)
    a = start(client, world)
    assessment_accredit(assessment=a, by=reviewer, letter="Dear Jo Chair,\n\nAccredited.")
    decision = Decision.objects.get(assessment=a)
    signed_in(client, world["officer"])
    response = client.get(reverse("review:decision-letter", args=[decision.pk]))
    assert response.status_code == 200
    assert "Dear Jo Chair" in text(response)
    assert "Back to the review" not in text(response)


def test_posts_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["reviewer"])
    a = world["assessment"]
    response = client.post(reverse("review:assessment-start", args=[a.pk]), {"version": a.version})
    assert response.status_code == 403
    assert fresh(a).status == Status.SUBMITTED


# --- Queue ---------------------------------------------------------------------------------------


def test_queue_lists_the_regions_partnerships_with_status_and_counts(client, world):
    outsider = SelfAssessmentFactory(cycle=world["cycle"], submitted=True,
                                     partnership__name="Outsider LSP")
    not_started = PartnershipFactory(local_authority__region=world["region"],
                                     name="Quiet LSP")
    page = text(signed_in(client, world["reviewer"]).get(reverse("review:queue")))
    assert "Walsall LSP" in page and "Submitted" in page
    assert not_started.name in page and "Not started" in page
    assert outsider.partnership.name not in page
    counts = client.get(reverse("review:queue")).context["queue"].counts
    assert {k: n for k, _, n in counts} == {
        "review_due": 0, "submitted": 1, "under_review": 0, "response_received": 0,
        "deferred": 0, "accredited": 1, "draft": 0, "not_started": 1,
    }


def test_queue_puts_reviews_due_first_and_filters_by_status(client, world):
    due = SelfAssessmentFactory(cycle=world["cycle"], deferred=True,
                                partnership__local_authority__region=world["region"],
                                partnership__name="Zeta LSP")
    signed_in(client, world["reviewer"])
    rows = client.get(reverse("review:queue")).context["queue"].rows
    assert rows[0].assessment.pk == due.pk and rows[0].key == "review_due"
    assert rows[0].days_waiting == (TODAY - due.review_date).days
    assert "Zeta LSP" in text(client.get(reverse("review:queue")))
    filtered = client.get(reverse("review:queue"), {"cycle": world["cycle"].pk, "status": "submitted"})
    assert [r.partnership.name for r in filtered.context["queue"].rows] == ["Walsall LSP"]


def test_queue_filters_by_cycle(client, world):
    later = CycleFactory(year_start=2003)
    SelfAssessmentFactory(cycle=later, partnership=world["walsall"])
    signed_in(client, world["reviewer"])
    rows = client.get(reverse("review:queue"), {"cycle": later.pk}).context["queue"].rows
    walsall = next(r for r in rows if r.partnership == world["walsall"])
    assert walsall.key == "draft"


def test_queue_with_a_bad_filter_says_so(client, world):
    response = signed_in(client, world["reviewer"]).get(reverse("review:queue"),
                                                        {"cycle": "999999", "status": "nonsense"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)


def _queue_queries(client, world, n):
    for _ in range(n - len(world["region"].authorities.all())):
        SelfAssessmentFactory(cycle=world["cycle"], submitted=True,
                              partnership__local_authority__region=world["region"])
    signed_in(client, world["reviewer"])
    client.get(reverse("review:queue"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("review:queue"))
    assert len(response.context["queue"].rows) == n
    return len(queries)


def test_queue_query_count_does_not_grow_with_the_region(client, world, django_assert_max_num_queries):
    five = _queue_queries(client, world, 5)
    thirty = _queue_queries(client, world, 30)
    assert five == thirty
    # session, user, roles, cycles (default, filter), partnerships, assessments, reviews due,
    # regions, and the session save: a fixed budget whatever the size of the region.
    with django_assert_max_num_queries(13):
        client.get(reverse("review:queue"))


# --- Review page, start, rating, stakeholder views -----------------------------------------------


def test_review_page_shows_case_ratings_membership_and_timeline(client, world):
    page = text(signed_in(client, world["reviewer"]).get(
        reverse("review:assessment-detail", args=[world["assessment"].pk])))
    assert "Our case, with evidence." in page
    assert "Walsall Voluntary Action" in page and "Voluntary" in page
    assert "Start review" in page
    assert "Submitted" in page and "Signed off by the chair" in page  # the timeline
    assert "£0 released, £3,830,000 held" in page


def test_starting_a_review_records_who_took_it(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    assert (a.status, a.reviewer) == (Status.UNDER_REVIEW, world["reviewer"])


def test_starting_from_a_stale_page_is_refused_with_a_message(client, world):
    a = world["assessment"]
    signed_in(client, world["reviewer"])
    response = client.post(reverse("review:assessment-start", args=[a.pk]),
                           {"version": a.version - 1}, follow=True)
    assert fresh(a).status == Status.SUBMITTED
    assert "Nothing you entered was applied" in text(response)


def test_rating_form_shows_errors_then_saves(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    requirement = a.cycle.requirements.order_by("order").first()
    url = reverse("review:response-rate", args=[a.pk, requirement.pk])
    bad = client.post(url, {"go_rating": "red", "go_comment": "", "version": a.version})
    assert bad.status_code == 200
    assert "There is a problem" in text(bad) and "Give the reason" in text(bad)
    good = client.post(url, {"go_rating": "red", "go_comment": "No evidence.", "version": a.version})
    assert good.status_code == 302
    response = a.responses.get(requirement=requirement)
    assert (response.go_rating, response.go_comment) == ("red", "No evidence.")


def test_rating_before_the_review_starts_goes_back_with_a_message(client, world):
    a = world["assessment"]
    requirement = a.cycle.requirements.first()
    response = signed_in(client, world["reviewer"]).get(
        reverse("review:response-rate", args=[a.pk, requirement.pk]), follow=True)
    assert "not under review" in text(response)


@pytest.mark.parametrize(("day", "month", "year", "message"), [
    ("0", "2", "2002", "must be a real date"),
    ("12", "2", "99999999999999999999", "must be a real date"),
    ("12", "99999999999999999999", "2002", "must be a real date"),
    ("12", "", "2002", "Enter the date they gave their view"),
], ids=["day-zero", "huge-year", "huge-month", "no-month"])
def test_stakeholder_view_date_that_is_not_a_date_is_an_error_not_a_500(
        client, world, day, month, year, message):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    answer = client.post(reverse("review:stakeholder-view-add", args=[a.pk]), {
        "version": a.version, "organisation": "Walsall Housing Group", "sector": "community",
        "stance": "concerns", "comment": "Tenants were not involved.",
        "given_on_0": day, "given_on_1": month, "given_on_2": year,
    })
    assert answer.status_code == 200
    assert message in text(answer)
    assert not a.stakeholder_views.exists()


def test_stakeholder_view_form(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:stakeholder-view-add", args=[a.pk])
    bad = client.post(url, {"version": a.version, "given_on_0": "31", "given_on_1": "2",
                            "given_on_2": "2002"})
    assert "There is a problem" in text(bad)
    assert "must be a real date" in text(bad) and "Enter the organisation" in text(bad)
    good = client.post(url, {
        "version": a.version, "organisation": "Walsall Housing Group", "sector": "community",
        "stance": "concerns", "comment": "Tenants were not involved.",
        "given_on_0": "12", "given_on_1": "2", "given_on_2": "2002",
    })
    assert good.status_code == 302
    view = StakeholderView.objects.get(assessment=a)
    assert (view.organisation, view.given_on, view.recorded_by) == (
        "Walsall Housing Group", dt.date(2002, 2, 12), world["reviewer"])


# --- Decisions -----------------------------------------------------------------------------------


def defer_data(a, **extra):
    requirement = a.cycle.requirements.order_by("order").first()
    return {"version": a.version, "review_date_0": str(NEXT_MONTH.day),
            "review_date_1": str(NEXT_MONTH.month), "review_date_2": str(NEXT_MONTH.year),
            f"concern_{requirement.pk}": "Community involvement is thin.",
            f"action_{requirement.pk}": "Involve community groups.", **extra}


def test_decision_choice_leads_to_the_decision_page(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:decision-choose", args=[a.pk])
    assert "Choose a decision" in text(client.post(url, {}))
    response = client.post(url, {"outcome": "defer"})
    assert response.url == reverse("review:assessment-defer", args=[a.pk])


def test_defer_needs_a_concern_and_a_review_date(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    response = client.post(reverse("review:assessment-defer", args=[a.pk]), {"version": a.version})
    page = text(response)
    assert "There is a problem" in page
    assert "Enter the review date" in page
    assert "Enter at least one area of concern" in page
    assert fresh(a).status == Status.UNDER_REVIEW


def test_defer_states_the_funding_effect_before_confirming(client, world,
                                                           django_capture_on_commit_callbacks,
                                                           mailoutbox):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:assessment-defer", args=[a.pk])
    confirm = client.post(url, defer_data(a))
    assert confirm.status_code == 200
    assert ("Walsall will receive £2,566,100 of its £3,830,000 2002/03 NRF allocation (67%) "
            "until a successful review; the other £1,263,900 is held.") in text(confirm)
    assert fresh(a).status == Status.UNDER_REVIEW  # nothing applied before confirming
    recomputes = RecomputeRequest.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**defer_data(a), "confirm": "yes"})

    a = fresh(a)
    assert (a.status, a.review_date) == (Status.DEFERRED, NEXT_MONTH)
    decision = a.decisions.get()
    assert done.url == reverse("review:decision-letter", args=[decision.pk])
    assert decision.concerns.get().action_required == "Involve community groups."
    assert "£2,566,100 of its £3,830,000" in decision.letter
    assert "the other £1,263,900 is held" in decision.letter
    assert AccreditationEvent.objects.filter(decision=decision).count() == 1
    assert RecomputeRequest.objects.count() == recomputes + 1
    (email,) = mailoutbox
    assert "officer@walsall.lsp.example" in email.to
    assert email.attachments[0][2] == "application/pdf"


def test_change_your_answers_goes_back_to_the_form_with_them(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    response = client.post(reverse("review:assessment-defer", args=[a.pk]),
                           {**defer_data(a), "change": "yes"})
    assert "Community involvement is thin." in response.content.decode()
    assert response.templates[0].name == "review/decision_form.html"


def test_a_stale_decision_page_is_refused_and_says_what_happened(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    stale = defer_data(a)
    other = RoleAssignmentFactory(reviewer=True, region=world["region"],
                                  user__full_name="Sam Other").user
    assessment_accredit(assessment=a, by=other, expected_version=a.version)
    response = client.post(reverse("review:assessment-defer", args=[a.pk]),
                           {**stale, "confirm": "yes"}, follow=True)
    assert "Walsall was already accredited by Sam Other at" in text(response)
    assert "nothing you entered was applied" in text(response)
    assert fresh(a).decisions.count() == 1


def test_a_page_loaded_before_a_colleagues_rating_is_refused_at_confirm(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    stale = defer_data(a)
    response_go_rate(response=a.responses.first(), by=world["reviewer"],
                     go_rating="agree")
    response = client.post(reverse("review:assessment-defer", args=[a.pk]),
                           {**stale, "confirm": "yes"}, follow=True)
    assert "changed after you opened the page" in text(response)
    assert fresh(a).status == Status.UNDER_REVIEW


def test_accredit_states_the_full_release(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:assessment-accredit", args=[a.pk])
    confirm = client.post(url, {"version": a.version})
    assert "Walsall will receive all of its £3,830,000 2002/03 NRF allocation (100%)" in text(confirm)
    client.post(url, {"version": a.version, "confirm": "yes"})
    assert fresh(a).status == Status.ACCREDITED


def test_accredit_with_concerns(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:assessment-accredit-with-concerns", args=[a.pk])
    data = defer_data(a)
    assert "Enter at least one area of concern" in text(client.post(url, {"version": a.version}))
    half = {k: v for k, v in data.items() if not k.startswith("action_")}
    assert "Enter the action required" in text(client.post(url, half))
    client.post(url, {**data, "confirm": "yes"})
    decision = fresh(a).decisions.get()
    assert decision.outcome == Decision.Outcome.ACCREDITED_WITH_CONCERNS
    assert "Areas of concern:" in decision.letter


def test_return_for_changes_with_reasons(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    url = reverse("review:assessment-return", args=[a.pk])
    assert "Give a reason against at least one requirement" in text(
        client.post(url, {"version": a.version}))
    requirement = a.cycle.requirements.order_by("order").last()
    done = client.post(url, {"version": a.version, f"reason_{requirement.pk}": "Add the figures."})
    assert done.status_code == 302
    a = fresh(a)
    assert a.status == Status.DRAFT
    assert a.responses.get(requirement=requirement).return_reason == "Add the figures."
    assert "Add the figures." in a.decisions.get().letter


def test_decision_pages_refuse_when_not_under_review(client, world):
    a = world["assessment"]
    response = signed_in(client, world["reviewer"]).post(
        reverse("review:assessment-accredit", args=[a.pk]),
        {"version": a.version, "confirm": "yes"}, follow=True)
    assert "not under review" in text(response)
    assert fresh(a).status == Status.SUBMITTED


def test_review_of_a_deferred_partnership_after_its_date_ends_in_accreditation(client, world):
    deferred = SelfAssessmentFactory(cycle=world["cycle"], deferred=True,
                                     partnership__local_authority__region=world["region"])
    signed_in(client, world["reviewer"])
    detail = client.get(reverse("review:assessment-detail", args=[deferred.pk]))
    assert "Start review" in text(detail)
    client.post(reverse("review:assessment-start", args=[deferred.pk]),
                {"version": deferred.version})
    deferred = fresh(deferred)
    assert (deferred.status, deferred.review_round) == (Status.UNDER_REVIEW, 2)
    client.post(reverse("review:assessment-accredit", args=[deferred.pk]),
                {"version": deferred.version, "confirm": "yes"})
    assert fresh(deferred).status == Status.ACCREDITED


def test_a_deferred_partnership_before_its_date_cannot_be_started(client, world):
    deferred = SelfAssessmentFactory(cycle=world["cycle"], deferred=True, review_on=NEXT_MONTH,
                                     partnership__local_authority__region=world["region"])
    signed_in(client, world["reviewer"])
    page = text(client.get(reverse("review:assessment-detail", args=[deferred.pk])))
    assert "Start review" not in page and "on or after" in page
    client.post(reverse("review:assessment-start", args=[deferred.pk]), {"version": deferred.version})
    assert fresh(deferred).status == Status.DEFERRED


# --- Bulk ----------------------------------------------------------------------------------------


def _under_review_rated(world, name, rating="agree"):
    a = SelfAssessmentFactory(cycle=world["cycle"], under_review=True,
                              partnership__local_authority__region=world["region"],
                              partnership__name=name)
    a.responses.update(go_rating=rating, go_comment="" if rating == "agree" else "Because.")
    return fresh(a)


def test_bulk_accreditation_through_its_summary_page(client, world, django_capture_on_commit_callbacks):
    one = _under_review_rated(world, "Alpha LSP")
    two = _under_review_rated(world, "Beta LSP", rating="green")
    not_ready = _under_review_rated(world, "Gamma LSP", rating="amber")
    signed_in(client, world["reviewer"])
    url = reverse("review:bulk-accredit")
    page = client.get(url)
    assert [a.pk for a in page.context["eligible"]] == [one.pk, two.pk]
    assert "Gamma LSP" in text(page)
    assert "Select at least one" in text(client.post(url, {}))
    chosen = {"assessments": [one.pk, two.pk], f"version_{one.pk}": one.version,
              f"version_{two.pk}": two.version}
    summary = client.post(url, chosen)
    assert "Accredit 2 partnerships" in text(summary)
    assert fresh(one).status == Status.UNDER_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**chosen, "confirm": "yes"})
    assert done.url == reverse("review:queue")
    for a in (one, two):
        assert fresh(a).status == Status.ACCREDITED
        assert fresh(a).decisions.get().letter
    assert fresh(not_ready).status == Status.UNDER_REVIEW


def test_bulk_with_a_stale_selection_accredits_none(client, world):
    one = _under_review_rated(world, "Alpha LSP")
    two = _under_review_rated(world, "Beta LSP")
    signed_in(client, world["reviewer"])
    response = client.post(reverse("review:bulk-accredit"), {
        "assessments": [one.pk, two.pk], f"version_{one.pk}": one.version,
        f"version_{two.pk}": two.version - 1, "confirm": "yes"}, follow=True)
    assert "Nothing you entered was applied" in text(response)
    assert fresh(one).status == fresh(two).status == Status.UNDER_REVIEW


def test_bulk_cannot_select_an_assessment_that_is_not_eligible(client, world):
    not_ready = _under_review_rated(world, "Gamma LSP", rating="amber")
    response = signed_in(client, world["reviewer"]).post(reverse("review:bulk-accredit"), {
        "assessments": [not_ready.pk], f"version_{not_ready.pk}": not_ready.version,
        "confirm": "yes"})
    assert "There is a problem" in text(response)
    assert fresh(not_ready).status == Status.UNDER_REVIEW


def test_review_page_links_to_the_evidence_and_the_reviewer_can_download_it(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    region = world["region"]
    draft = SelfAssessmentFactory(cycle=world["cycle"], state="filled",
                                  partnership__local_authority__region=region)
    officer = RoleAssignmentFactory(officer=True, partnership=draft.partnership).user
    body = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n" + b"0" * 200
    evidence = evidence_attach(
        response=draft.responses.order_by("requirement__order").first(), by=officer,
        upload=SimpleUploadedFile("Forum minutes.pdf", body, content_type="application/pdf"))
    assessment_submit(assessment=fresh(draft), by=RoleAssignmentFactory(
        chair=True, partnership=draft.partnership).user)
    signed_in(client, world["reviewer"])
    page = client.get(reverse("review:assessment-detail", args=[draft.pk])).content.decode()
    url = reverse("accreditation:evidence-download", args=[evidence.pk])
    assert f'href="{url}"' in page, page[page.find("Evidence"):page.find("Evidence") + 600]
    assert evidence.original_name in page
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == body


@pytest.mark.parametrize("name", ["assessment-accredit", "assessment-defer", "assessment-return",
                                  "stakeholder-view-add"])
@pytest.mark.parametrize("version", ["", "abc", "-3"])
def test_a_broken_version_field_is_an_error_message_not_a_500(client, world, name, version):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    response = client.post(reverse(f"review:{name}", args=[a.pk]),
                           {**defer_data(a), "version": version, "confirm": "yes"})
    assert response.status_code == 200
    assert "This page is out of date" in text(response)
    assert fresh(a).status == Status.UNDER_REVIEW


def test_a_requirement_of_another_assessment_is_404(client, world):
    signed_in(client, world["reviewer"])
    a = start(client, world)
    stray = CycleFactory(year_start=2004).requirements.first()
    assert client.get(reverse("review:response-rate", args=[a.pk, stray.pk])).status_code == 404
