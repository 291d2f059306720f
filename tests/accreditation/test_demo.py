"""load_demo: the February 2002 scenario, built through the real services.

The demo is loaded once per test process, as `make run` loads it (a training service, tasks run
after each commit), and restored into each test's database (the `demo` fixture,
tests/demo_snapshot.py); the tests run on one xdist worker so it is loaded once per run.
"""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from accreditation.models import (
    AccreditationEvent,
    AreaOfConcern,
    AssessmentChange,
    Cycle,
    Decision,
    FundingState,
    RequirementResponse,
    SelfAssessment,
    StakeholderView,
    Status,
)
from accreditation.notifications import event_emails_record, notifications_suppressed
from core import clock
from core.models import OutboxEmail, TrainingDateMove, User
from funding.models import FiguresVersion, RecomputeRequest, ReleasePolicy
from partnerships.models import Member, Partnership, Role, RoleAssignment, Sector
from tests.factories import RoleAssignmentFactory, SelfAssessmentFactory

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.django_db]

WALK = [("draft", "submitted"), ("submitted", "under_review")]
APPS = {"core", "partnerships", "performance", "accreditation", "funding", "reporting"}


def transitions(assessment) -> list[tuple[str, str]]:
    return list(assessment.events.order_by("at", "id").values_list("from_status", "to_status"))


def test_summary_is_printed(demo):
    assert "Reference data was missing and has been loaded first." in demo.output
    assert "Assessments walked through: 88 (87 accredited, 1 deferred)" in demo.output
    assert "Users created: 187; role assignments created: 187" in demo.output


def test_cycle_2002_03_with_its_six_requirements(demo):
    cycle = Cycle.objects.get(year_start=2002)
    assert cycle.name == "2002/03"
    assert cycle.announcement_date == dt.date(2002, 2, 28)
    assert (cycle.opens_on, cycle.submission_deadline) == (dt.date(2001, 10, 1),
                                                           dt.date(2002, 1, 31))
    requirements = list(cycle.requirements.order_by("order"))
    assert [r.code for r in requirements] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert [r.is_core for r in requirements] == [True, True, True, False, False, False]
    assert requirements[1].title == "Inclusive of all key players"
    assert all(r.wording_status.startswith("approximate") for r in requirements)


def test_nrf_2002_03_and_2003_04_are_each_governed_by_their_cycle(demo):
    policies = list(ReleasePolicy.objects.order_by("year__start_year", "fund__code"))
    assert [(p.fund.code, p.year.label, p.governing_cycle and p.governing_cycle.name)
            for p in policies] == [
        ("NRF", "2001/02", None), ("NRF", "2002/03", "2002/03"), ("CEF", "2003/04", None),
        ("NRF", "2003/04", "2003/04"), ("CEF", "2004/05", None)]
    for policy in policies:
        shares = (str(policy.fraction_accredited), str(policy.fraction_deferred),
                  str(policy.fraction_undecided))
        if policy.governing_cycle:
            assert shares == ("1.0000", "0.6700", "0.0000")
        else:  # the reference data's explicit release in full
            assert shares == ("1.0000", "1.0000", "1.0000")


def test_the_2003_04_cycle_is_open_with_the_same_requirements_and_nothing_started(demo):
    following = Cycle.objects.get(year_start=2003)
    assert following.name == "2003/04"
    # Open on the demo's training date (1 March 2002), the day after the 2002/03 announcement.
    assert (following.opens_on, following.submission_deadline) == (dt.date(2002, 3, 1),
                                                                   dt.date(2003, 1, 31))
    assert list(following.requirements.order_by("order").values_list("code", "title")) == list(
        Cycle.objects.get(year_start=2002).requirements.order_by("order")
        .values_list("code", "title"))
    assert not SelfAssessment.objects.filter(cycle=following).exists()


def test_walsall_is_deferred_until_28_march_2002(demo):
    walsall = SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)
    assert walsall.status == Status.DEFERRED
    assert walsall.funding_state == FundingState.DEFERRED
    assert walsall.review_date == dt.date(2002, 3, 28)
    assert transitions(walsall) == [*WALK, ("under_review", "deferred")]
    decision = walsall.decisions.get()
    assert decision.outcome == Decision.Outcome.DEFERRED
    assert decision.decided_on == dt.date(2002, 2, 26)
    assert decision.decided_by.email == "reviewer@west-midlands.go.example"
    assert sorted(decision.concerns.values_list("requirement__code", flat=True)) == ["R1", "R2"]
    assert "deferred pending a review" in decision.letter
    assert "28 March 2002" in decision.letter
    assert "(67%)" in decision.letter
    assert walsall.stakeholder_views.filter(stance=StakeholderView.Stance.CONCERNS).exists()
    assert set(walsall.responses.filter(requirement__code__in=["R1", "R2"])
               .values_list("go_rating", flat=True)) == {"red"}


def test_a_training_service_runs_the_demo_on_1_march_2002_and_nothing_is_dated_after(
        demo, settings):
    """After the announcement, before Walsall's review: every record the demo made (events,
    decisions, changes, uploads, ledger entries, created and updated times) is dated on or before
    the service's today. Only the move of the training date itself carries the wall clock, and
    the figures version (a cache key PostgreSQL's triggers stamp at commit, ADR 0011)."""
    settings.TRAINING_CLOCK = True
    assert clock.today() == dt.date(2002, 3, 1)
    assert list(TrainingDateMove.objects.values_list("from_date", "to_date", "by_label")) == [
        (None, dt.date(2002, 3, 1), "load_demo")]
    end_of_today = timezone.make_aware(dt.datetime(2002, 3, 2))
    later = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model in (TrainingDateMove, FiguresVersion):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                found = model.objects.filter(**{f"{field.name}__gte": end_of_today}).count()
                if found:
                    later.append(f"{model.__name__}.{field.name}: {found}")
    for model, name in ((Decision, "decided_on"), (AccreditationEvent, "effective_on"),
                        (StakeholderView, "given_on")):
        if model.objects.filter(**{f"{name}__gt": dt.date(2002, 3, 1)}).exists():
            later.append(f"{model.__name__}.{name}")
    assert not later, later
    assert AssessmentChange.objects.exists() and RecomputeRequest.objects.exists()
    # Walsall's review is still to come, and the 2003/04 self-assessment is open.
    walsall = SelfAssessment.objects.get(partnership__slug="walsall", cycle__year_start=2002)
    assert clock.days_phrase(walsall.review_date) == "in 27 days"
    assert Cycle.objects.get(year_start=2003).opens_on <= clock.today()


def test_walsall_has_no_community_sector_member(demo):
    walsall = Partnership.objects.get(slug="walsall")
    assert not walsall.members.filter(sector=Sector.COMMUNITY).exists()
    assert walsall.members.filter(role=Member.Role.CHAIR).count() == 1
    others = Partnership.objects.exclude(slug="walsall")
    assert others.filter(members__sector=Sector.COMMUNITY).distinct().count() == 87
    assert others.filter(members__role=Member.Role.CHAIR).distinct().count() == 87


def test_the_other_87_are_accredited_each_with_its_events(demo):
    accredited = SelfAssessment.objects.filter(cycle__year_start=2002).exclude(
        partnership__slug="walsall").select_related("partnership")
    assert accredited.count() == 87
    for assessment in accredited:
        assert assessment.status == Status.ACCREDITED, assessment
        assert assessment.funding_state == FundingState.ACCREDITED
        assert transitions(assessment) == [*WALK, ("under_review", "accredited")], assessment
        events = list(assessment.events.order_by("at"))
        assert events[0].by.email == f"chair@{assessment.partnership.slug}.lsp.example"
        assert events[0].at.date() <= dt.date(2002, 1, 31)
        assert all(e.at.date() < dt.date(2002, 2, 28) for e in events)
        assert events[-1].decision.letter
        assert "is accredited for 2002/03" in events[-1].decision.letter
    with_concerns = Decision.objects.filter(outcome=Decision.Outcome.ACCREDITED_WITH_CONCERNS)
    assert with_concerns.exists()
    assert set(AreaOfConcern.objects.filter(decision__in=with_concerns)
               .values_list("requirement__code", flat=True)) == {"R4"}


def test_assessments_were_drafted_and_reviewed_through_the_services(demo):
    """Every answer saved by the officer (history kept), rated by the reviewer, and each
    transition owing a funding recompute."""
    responses = RequirementResponse.objects.filter(assessment__cycle__year_start=2002)
    assert responses.count() == 88 * 6
    assert not responses.filter(self_rating="").exists()
    assert not responses.filter(case="").exists()
    assert not responses.filter(go_rating="").exists()
    assert AssessmentChange.objects.filter(action=AssessmentChange.Action.RESPONSE_SAVED).count() \
        == 88 * 6
    assert StakeholderView.objects.count() == 88 + 1
    owed = RecomputeRequest.objects.filter(cause=RecomputeRequest.Cause.EVENT)
    assert owed.count() == AccreditationEvent.objects.count() == 88 * 3


def test_demo_users_and_their_roles(demo):
    assert User.objects.count() == 88 * 2 + 9 + 2
    walsall = Partnership.objects.get(slug="walsall")
    officer = User.objects.get(email="officer@walsall.lsp.example")
    chair = User.objects.get(email="chair@kingston-upon-hull.lsp.example")
    reviewer = User.objects.get(email="reviewer@yorkshire-and-the-humber.go.example")
    assert RoleAssignment.objects.filter(user=officer, role=Role.LSP_OFFICER,
                                         partnership=walsall).exists()
    assert RoleAssignment.objects.filter(user=chair, role=Role.LSP_CHAIR,
                                         partnership__slug="kingston-upon-hull").exists()
    assert RoleAssignment.objects.filter(user=reviewer, role=Role.GO_REVIEWER,
                                         region__slug="yorkshire-and-the-humber").exists()
    analyst = User.objects.get(email="analyst@nru.example")
    admin = User.objects.get(email="admin@nru.example")
    assert RoleAssignment.objects.filter(user=analyst, role=Role.NRU_ANALYST).exists()
    assert RoleAssignment.objects.filter(user=admin, role=Role.NRU_ADMIN).exists()
    assert admin.is_staff and admin.is_superuser
    assert not analyst.is_staff and not officer.is_staff
    for user in (officer, chair, reviewer, analyst, admin):
        assert user.check_password(settings.DEMO_PASSWORD), user
        assert not user.check_password("not-the-password")
    # One hash, computed once, for every demo user.
    assert User.objects.values("password").distinct().count() == 1


def test_second_run_changes_nothing_even_when_forced_without_debug(demo, settings):
    settings.DEBUG = False
    models = (User, RoleAssignment, Member, Cycle, ReleasePolicy, SelfAssessment,
              AccreditationEvent, Decision, AreaOfConcern, RequirementResponse, AssessmentChange,
              StakeholderView, RecomputeRequest)
    before = {m.__name__: sorted(m.objects.values_list(), key=lambda row: row[0]) for m in models}
    out = StringIO()
    call_command("load_demo", "--force", stdout=out)
    after = {m.__name__: sorted(m.objects.values_list(), key=lambda row: row[0]) for m in models}
    assert after == before
    assert "already there, skipped: 88" in out.getvalue()


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    users = User.objects.count()
    with pytest.raises(CommandError, match=r"refuses to run while DEBUG is off.*--force"):
        call_command("load_demo", stdout=StringIO())
    assert User.objects.count() == users


@pytest.fixture
def eager_celery():
    """Tasks run in-process even when the suite is pointed at a real broker."""
    import accreditation.tasks  # noqa: F401  (registers the task outside a worker)
    from lsp_portal.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def test_backdated_history_emails_nobody(django_capture_on_commit_callbacks, eager_celery):
    """The demo loads its events inside notifications_suppressed(): a submission, which
    would email the region's reviewers, records no email there, and does outside it."""
    reviewer = RoleAssignmentFactory(reviewer=True)
    mail.outbox.clear()
    with notifications_suppressed(), django_capture_on_commit_callbacks(execute=True):
        suppressed = SelfAssessmentFactory(submitted=True,
                                           partnership__local_authority__region=reviewer.region)
    assert mail.outbox == []
    assert not OutboxEmail.objects.exists()  # nothing recorded, so nothing a sweep could send
    event = suppressed.events.get(to_status=Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(event_emails_record(event=event)) == 1
    assert [m.to for m in mail.outbox] == [[reviewer.user.email]]


def test_the_demo_owes_no_email(demo):
    """Its 88 submissions and decisions are history (notifications_suppressed): none of them
    is in the outbox."""
    assert AccreditationEvent.objects.exclude(decision=None).count() == 88
    assert not OutboxEmail.objects.exists()
