"""Decisions on their real dates, on the service's clock: the reviewer gives the date of the
decision (the clock's today filled in); a date in the future, before the self-assessment was
submitted or not a date is refused with the field's error and nothing is written. The date is
the letter's (page and PDF), the event's effective date, the timeline's and the API's, beside
when it was recorded. Review dates still to come say how far off they are, and the queue, the
reminders and "days waiting" count from the clock's today.

The service is a training service on 28 March 2002 (the demo's story): Walsall's assessment was
submitted on 20 January 2002 and is under review.
"""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accreditation.models import AccreditationEvent, Decision, SelfAssessment
from accreditation.notifications import review_reminders_send
from accreditation.services.decisions import assessment_accredit
from accreditation.services.review import assessment_start_review
from core import clock
from core.errors import ApplicationError
from core.training import training_date_move
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

pytestmark = pytest.mark.django_db

MARCH_28 = dt.date(2002, 3, 28)


def at(day: dt.date, hour: int = 10):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def fresh(assessment) -> SelfAssessment:
    return SelfAssessment.objects.get(pk=assessment.pk)


def text(response) -> str:
    html = response.content.decode()
    main = html[html.find("<main"):html.find("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#x27;", "'")


def written(assessment) -> tuple:
    """What a refused decision must leave as it was."""
    a = fresh(assessment)
    return (a.status, a.version, Decision.objects.count(), AccreditationEvent.objects.count())


@pytest.fixture
def story(training_clock):
    training_date_move(to=MARCH_28)
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    cycle = CycleFactory()
    ReleasePolicyFactory(governing_cycle=cycle)
    reviewer = RoleAssignmentFactory(reviewer=True, region=region,
                                     user__full_name="Pat Reviewer").user
    walsall = PartnershipFactory(local_authority=LocalAuthorityFactory(name="Walsall",
                                                                       region=region))
    MemberFactory(partnership=walsall, chair=True, representative="Jo Chair")
    AllocationFactory(partnership=walsall, amount_pence=383_000_000)
    officer = RoleAssignmentFactory(officer=True, partnership=walsall).user
    with clock.held_at(at(dt.date(2002, 1, 20))):
        assessment = SelfAssessmentFactory(partnership=walsall, cycle=cycle, submitted=True)
    with clock.held_at(at(dt.date(2002, 2, 5))):
        assessment_start_review(assessment=assessment, by=reviewer)
    return {"assessment": fresh(assessment), "reviewer": reviewer, "officer": officer,
            "region": region, "cycle": cycle}


def decide(client, story, name="review:assessment-accredit", *, day, month, year, confirm=True,
           **extra):
    a = fresh(story["assessment"])
    client.force_login(story["reviewer"])
    data = {"version": a.version, "summary": "", "decided_on_0": day, "decided_on_1": month,
            "decided_on_2": year, **extra}
    if confirm:
        data["confirm"] = "yes"
    return client.post(reverse(name, args=[a.pk]), data)


def test_the_form_asks_for_the_date_with_the_clocks_today_filled_in(client, story):
    client.force_login(story["reviewer"])
    for name in ("review:assessment-accredit", "review:assessment-accredit-with-concerns",
                 "review:assessment-defer", "review:assessment-return"):
        html = client.get(reverse(name, args=[story["assessment"].pk])).content.decode()
        assert "Date of the decision" in html, name
        for field, value in (("decided_on_0", "28"), ("decided_on_1", "3"),
                             ("decided_on_2", "2002")):
            assert re.search(rf'name="{field}" value="{value}"', html), (name, field)


def test_an_accreditation_on_an_earlier_day_is_dated_so_everywhere(
        client, story, django_capture_on_commit_callbacks):
    check = decide(client, story, day="20", month="3", year="2002", confirm=False)
    assert "Date of the decision 20 March 2002" in text(check)
    with django_capture_on_commit_callbacks(execute=True):
        done = decide(client, story, day="20", month="3", year="2002")
    assert done.status_code == 302
    decision = Decision.objects.get(assessment=story["assessment"])
    assert decision.decided_on == dt.date(2002, 3, 20)
    # Recorded on the clock's today (the training date), at the real time of day.
    assert timezone.localtime(decision.decided_at).date() == MARCH_28
    event = decision.events.get()
    assert (event.effective_on, timezone.localtime(event.at).date()) == (
        dt.date(2002, 3, 20), MARCH_28)

    # The letter, as a page and as a PDF read back, is dated with the decision.
    assert "\n\n20 March 2002\n\n" in decision.letter
    client.force_login(story["reviewer"])
    assert "20 March 2002" in text(client.get(reverse("review:decision-letter", args=[decision.pk])))
    pdf = client.get(reverse("review:decision-letter-pdf", args=[decision.pk]))
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    pdf_text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in pages))
    assert "20 March 2002" in pdf_text
    assert "28 March 2002" not in pdf_text.split("Decision ")[0]  # the letter's own date

    # The email to the partnership carries the letter.
    to_officer = [m for m in mail.outbox if story["officer"].email in m.to]
    assert len(to_officer) == 1 and "20 March 2002" in to_officer[0].body

    # The review page and the partnership's history: the decision's date beside when it was
    # recorded.
    review = text(client.get(reverse("review:assessment-detail", args=[decision.assessment_id])))
    assert "Accredited, 20 March 2002" in review
    assert "Decision dated 20 March 2002" in review
    assert "Recorded 28 March 2002" in review
    client.force_login(story["officer"])
    history = text(client.get(reverse("accreditation:assessment-history",
                                      args=[decision.assessment_id])))
    assert "Accredited Decision dated 20 March 2002" in history
    assert "recorded 28 March 2002" in history
    outcome = text(client.get(reverse("accreditation:assessment-decision",
                                      args=[decision.assessment_id])))
    assert "Decided 20 March 2002 by the" in outcome and "Recorded 28 March 2002" in outcome

    # The read API: the decision in force and its date (the cycle was announced on
    # 28 February 2002, so it is public on the training date).
    data = client.get(reverse("reporting_api:decision-list")).json()
    row = next(r for r in data["results"] if r["authority"] == "Walsall")
    assert (row["decision"], row["decided_on"]) == ("accredited", "2002-03-20")


@pytest.mark.parametrize(("day", "month", "year", "error"), [
    ("29", "3", "2002", "The date of the decision must be today (28 March 2002) or earlier"),
    ("1", "1", "2003", "The date of the decision must be today (28 March 2002) or earlier"),
    ("19", "1", "2002", "The date of the decision must be on or after 20 January 2002, when "
                        "the self-assessment was submitted"),
    ("30", "2", "2002", "The date of the decision must be a real date, like 28 3 2002"),
    ("20", "3", "", "Enter the year"),
    ("20", "March", "2002", "Enter a valid month"),
])
@pytest.mark.parametrize("confirm", [False, True])
def test_a_decision_date_in_the_future_before_submission_or_not_a_date_writes_nothing(
        client, story, day, month, year, error, confirm):
    before = written(story["assessment"])
    answer = decide(client, story, day=day, month=month, year=year, confirm=confirm)
    assert answer.status_code == 200
    page = text(answer)
    assert "There is a problem" in page and error in page
    assert written(story["assessment"]) == before


def test_a_date_left_empty_means_today(client, story):
    assert decide(client, story, day="", month="", year="").status_code == 302
    assert Decision.objects.get(assessment=story["assessment"]).decided_on == MARCH_28


def test_a_deferral_dated_earlier_reviews_after_its_date(client, story):
    requirement = story["cycle"].requirements.order_by("order").first()
    done = decide(client, story, "review:assessment-defer", day="27", month="3", year="2002",
                  review_date_0="30", review_date_1="4", review_date_2="2002",
                  **{f"concern_{requirement.pk}": "Community involvement is not shown.",
                     f"action_{requirement.pk}": "Set up a community forum."})
    assert done.status_code == 302, text(done)
    decision = Decision.objects.get(assessment=story["assessment"])
    assert (decision.decided_on, decision.review_date) == (dt.date(2002, 3, 27),
                                                           dt.date(2002, 4, 30))
    assert "27 March 2002" in decision.letter and "30 April 2002" in decision.letter


def test_the_service_refuses_a_decision_dated_in_the_future(story):
    before = written(story["assessment"])
    with pytest.raises(ApplicationError, match="Walsall LSP's decision cannot be in the future"):
        assessment_accredit(assessment=story["assessment"], by=story["reviewer"],
                            on=dt.date(2002, 3, 29))
    assert written(story["assessment"]) == before


# --- Bulk: one date for the batch --------------------------------------------------------------


def _ready(story, name: str, submitted: dt.date) -> SelfAssessment:
    with clock.held_at(at(submitted)):
        a = SelfAssessmentFactory(cycle=story["cycle"], under_review=True,
                                  reviewer_user=story["reviewer"], partnership__name=name,
                                  partnership__local_authority__region=story["region"])
    a.responses.update(go_rating="agree")
    return fresh(a)


def test_bulk_accreditation_dates_every_decision_and_refuses_a_date_before_a_submission(
        client, story):
    one = _ready(story, "Alpha LSP", dt.date(2002, 1, 10))
    two = _ready(story, "Beta LSP", dt.date(2002, 3, 4))
    client.force_login(story["reviewer"])
    url = reverse("review:bulk-accredit")
    chosen = {"assessments": [one.pk, two.pk], f"version_{one.pk}": one.version,
              f"version_{two.pk}": two.version, "confirm": "yes"}
    html = client.get(url).content.decode()
    assert 'name="decided_on_0" value="28"' in html

    before = (written(one), written(two))
    refused = client.post(url, {**chosen, "decided_on_0": "1", "decided_on_1": "3",
                                "decided_on_2": "2002"})
    assert ("The date of the decision must be on or after 4 March 2002, when Beta LSP's "
            "self-assessment was submitted") in text(refused)
    assert (written(one), written(two)) == before

    picked = {k: v for k, v in chosen.items() if k != "confirm"}
    summary = client.post(url, {**picked, "decided_on_0": "15", "decided_on_1": "3",
                                "decided_on_2": "2002"})
    assert "Date of the decisions 15 March 2002" in text(summary)
    done = client.post(url, {**chosen, "decided_on_0": "15", "decided_on_1": "3",
                             "decided_on_2": "2002"})
    assert done.status_code == 302
    for a in (one, two):
        decision = fresh(a).decisions.get()
        assert decision.decided_on == dt.date(2002, 3, 15)
        assert decision.events.get().effective_on == dt.date(2002, 3, 15)


# --- The clock's today in reviews, reminders and queues ----------------------------------------


@pytest.fixture
def deferred_walsall(training_clock):
    """On 1 March 2002 (the demo's date): Walsall deferred with its review on 28 March 2002,
    Sandwell submitted on 20 February 2002 and waiting."""
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    cycle = CycleFactory()
    reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
    walsall = SelfAssessmentFactory(cycle=cycle, deferred=True, reviewer_user=reviewer,
                                    review_on=MARCH_28, partnership__name="Walsall LSP",
                                    partnership__local_authority__region=region)
    with clock.held_at(at(dt.date(2002, 2, 20))):
        SelfAssessmentFactory(cycle=cycle, submitted=True, partnership__name="Sandwell LSP",
                              partnership__local_authority__region=region)
    officer = RoleAssignmentFactory(officer=True, partnership=walsall.partnership).user
    return {"walsall": walsall, "reviewer": reviewer, "officer": officer}


def test_a_review_date_to_come_says_how_far_off_it_is(client, deferred_walsall):
    client.force_login(deferred_walsall["reviewer"])
    queue = text(client.get(reverse("review:queue")))
    assert re.search(r"Walsall LSP Deferred .* 28 Mar 2002 27 days to go", queue), queue
    assert re.search(r"Sandwell LSP Submitted 20 Feb 2002 9 ", queue), queue  # days waiting
    review = text(client.get(reverse("review:assessment-detail",
                                     args=[deferred_walsall["walsall"].pk])))
    assert "28 March 2002 (in 27 days)" in review
    assert "again on or after 28 March 2002, in 27 days" in review
    client.force_login(deferred_walsall["officer"])
    home = text(client.get(reverse("accreditation:home")))
    assert "Review on 28 March 2002, in 27 days." in home


def test_reminders_go_by_the_clocks_today(deferred_walsall, settings,
                                          django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()

    def reminders() -> int:  # recorded in the outbox, sent once committed
        with django_capture_on_commit_callbacks(execute=True):
            return review_reminders_send()

    assert reminders() == 0  # 27 days to go on 1 March 2002
    training_date_move(to=dt.date(2002, 3, 21))
    assert reminders() == 1
    assert "due for review on 28 March 2002, in 7 days" in mail.outbox[-1].body
    training_date_move(to=MARCH_28)
    assert reminders() == 1
    assert "due for review today" in mail.outbox[-1].body
