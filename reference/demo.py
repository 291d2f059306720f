"""The reference scenario: the February 2002 accreditation round, as demo data.

On top of the reference data (loaded first if it is missing) it creates

- the 2002/03 cycle: opens 1 October 2001, submissions by 31 January 2002, announced
  28 February 2002 (the opening and deadline dates are our choice; only the announcement date is
  on the record), with the six key requirements from the requirements file, wording status kept;
- the NRF 2002/03 release policy, governed by that cycle: accredited 100%, deferred 67%, not yet
  decided 0%. NRF 2001/02 and CEF are released in full by the reference data's explicit
  policies (no governing cycle);
- the 2003/04 cycle (opens 1 March 2002, the day after the 2002/03 announcement; submissions by
  31 January 2003) with the same six requirements, open for partnerships to start, and NRF
  2003/04 governed by it with the same fractions (so nothing of it is released before a
  partnership's 2003/04 decision);
- demo users, all with the password DEMO_PASSWORD: officer@<slug>.lsp.example and
  chair@<slug>.lsp.example for every partnership, reviewer@<region-slug>.go.example for every
  Government Office, analyst@nru.example and admin@nru.example (staff and superuser, for /admin/);
- a few members per partnership across the sectors, a chair among them. Walsall has no community
  sector member, which is part of why its Government Office defers it;
- each partnership's 2002/03 self-assessment, walked through the real services with dates from
  the period: started in the autumn of 2001, answered by the officer, signed off and submitted by
  the chair in January 2002, reviewed by the region's reviewer in February (ratings, a stakeholder
  view), then 87 accredited (some with an area of concern) and Walsall deferred on 26 February
  2002 with concerns on its first two requirements and a review on 28 March 2002. Every step
  records its events and owes its funding recompute, as a user's clicks would; the decision
  letters come from `accreditation.letters`, as the reviewer's pages write them.
- the record of what the 2002/03 announcement of 28 February 2002 published
  (`reporting.announcements`), taken at the end as the public pages would at their first read on
  or after that date; a cycle whose announcement date is after the service's today is left.

Running it again changes nothing: existing users, roles, members, the cycle, its requirements and
the policy are left as they are (an administrator may have edited them since), and a partnership
that already has a 2002/03 assessment is skipped. Each partnership's story is its own
transaction, so a run that stops part-way can simply be run again.

Every step is recorded at its moment in the story (`core.clock.held_at`): its events, changes,
decisions, letters, created and updated times and the ledger entries its recompute posts are all
dated then, never after the service's today. In a training service (settings.TRAINING_CLOCK) the
demo's today is DEMO_TODAY, 1 March 2002: after the announcement, before Walsall's review on
28 March 2002, with the 2003/04 self-assessment open; the loader sets the training date to it
unless the service is already on that date or later (docs/adr/0017-training-clock.md).

The backdated events email nobody (`notifications_suppressed`).

Like `reference.loader`, this is a loader that sits above the apps (it writes the funding app's
release policy as well as the accreditation story); no other app imports it. The words of the
story are in `reference.demo_words`.
"""

import time as stopwatch
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accreditation.letters import funding_effects, letter_writer
from accreditation.models import (
    Cycle,
    FundingState,
    GoRating,
    Rating,
    Requirement,
    SelfAssessment,
    StakeholderView,
)
from accreditation.notifications import notifications_suppressed
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.drafting import (
    assessment_sign_off_request,
    assessment_start,
    assessment_submit,
    response_save,
)
from accreditation.services.review import (
    assessment_start_review,
    response_go_rate,
    stakeholder_view_record,
)
from core import clock
from core.models import User
from core.training import training_date_start
from funding.models import FinancialYear, Fund, ReleasePolicy
from partnerships.models import Member, Partnership, Region, Role, RoleAssignment, Sector
from partnerships.services import member_add, role_assign
from reporting.announcements import announcements_take_due

from .common import DATA_DIR, Problems, ReferenceDataError, csv_rows
from .demo_words import (
    AMBER_CASES,
    CASES,
    GENERIC_CASE,
    MEMBERS,
    R4_CONCERN,
    SURNAMES,
    WALSALL_CONCERNS,
    WALSALL_GO_VIEWS,
    WALSALL_INCLUSIVENESS,
)
from .loader import reference_load

REQUIREMENTS_FILE = "accreditation_requirements_2002_03.csv"

CYCLE = {
    "name": "2002/03",
    "year_start": 2002,
    "opens_on": date(2001, 10, 1),
    "submission_deadline": date(2002, 1, 31),
    "announcement_date": date(2002, 2, 28),
}
# The next round, open for partnerships to start: same requirements, and NRF 2003/04
# governed by it as 2002/03 was by its own cycle. Its dates are our choice.
NEXT_CYCLE = {
    "name": "2003/04",
    "year_start": 2003,
    "opens_on": date(2002, 3, 1),
    "submission_deadline": date(2003, 1, 31),
    "announcement_date": date(2003, 2, 28),
}
POLICY_FRACTIONS = {
    "fraction_accredited": Decimal("1.0000"),
    "fraction_deferred": Decimal("0.6700"),
    "fraction_undecided": Decimal("0.0000"),
}
DEFERRED_SLUG = "walsall"
DEFERRED_ON = date(2002, 2, 26)
REVIEW_DATE = date(2002, 3, 28)
# The service's today in a training service running the demo: inside the story.
DEMO_TODAY = date(2002, 3, 1)
# When the scenario's users, members, cycles and policies were set up.
SET_UP_AT = (date(2001, 10, 1), 9)
NRU_USERS = (
    ("analyst@nru.example", "NRU analyst", Role.NRU_ANALYST, False),
    ("admin@nru.example", "NRU administrator", Role.NRU_ADMIN, True),
)


@dataclass
class DemoSummary:
    counts: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    reference_loaded: bool = False
    seconds: float = 0.0

    def lines(self) -> list[str]:
        c = self.counts
        out = ["Demo scenario: February 2002"]
        if self.reference_loaded:
            out.append("  Reference data was missing and has been loaded first.")
        out += [
            f"  Cycle 2002/03: {'created' if c['cycle'] else 'already there'}; "
            f"requirements created: {c['requirements']}; "
            f"NRF 2002/03 release policy: {'created' if c['policy'] else 'already there'}",
            f"  Cycle 2003/04 (open, with NRF 2003/04 governed by it): "
            f"{'created' if c['next_cycle'] else 'already there'}",
            f"  Users created: {c['users']}; role assignments created: {c['roles']}; "
            f"members added: {c['members']}",
            f"  Assessments walked through: {c['assessments']} "
            f"({self.outcomes['accredited']} accredited, {self.outcomes['deferred']} deferred); "
            f"already there, skipped: {c['skipped']}",
            f"  Announcements recorded: {c['announcements']}",
            f"  Took {self.seconds:.1f} s",
        ]
        return out


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _decision_day(i: int, partnership: Partnership) -> date:
    return DEFERRED_ON if partnership.slug == DEFERRED_SLUG else date(2002, 2, 18) + timedelta(days=i % 7)


def _requirements_read(directory: Path) -> list[dict]:
    f = REQUIREMENTS_FILE
    problems = Problems()
    rows = csv_rows(directory, f, ("code", "order", "title", "what_the_lsp_must_show", "core",
                                   "wording_status"), problems)
    found, codes, orders = [], set(), set()
    for number, row in rows:
        if not row["code"] or row["code"] in codes:
            problems.add(f, number, "code", f"'{row['code']}' is empty or appears twice")
        if not row["order"].isdigit() or int(row["order"]) in orders:
            problems.add(f, number, "order", f"'{row['order']}' is not a new whole number")
        if not row["title"]:
            problems.add(f, number, "title", "is empty")
        if row["core"] not in ("yes", "no"):
            problems.add(f, number, "core", f"'{row['core']}' is not yes or no")
        codes.add(row["code"])
        orders.add(int(row["order"]) if row["order"].isdigit() else None)
        found.append(row)
    if problems:
        raise ReferenceDataError(problems)
    return found


def _cycle_and_policy(directory: Path, summary: DemoSummary) -> Cycle:
    cycle, created = Cycle.objects.get_or_create(year_start=CYCLE["year_start"], defaults=CYCLE)
    summary.counts["cycle"] += created
    for row in _requirements_read(directory):
        _, created = Requirement.objects.get_or_create(cycle=cycle, code=row["code"], defaults={
            "order": int(row["order"]), "title": row["title"],
            "description": row["what_the_lsp_must_show"], "is_core": row["core"] == "yes",
            "wording_status": row["wording_status"],
        })
        summary.counts["requirements"] += created
    _, created = ReleasePolicy.objects.get_or_create(
        fund=Fund.objects.get(code="NRF"), year=FinancialYear.objects.get(start_year=2002),
        defaults={"governing_cycle": cycle, **POLICY_FRACTIONS},
    )
    summary.counts["policy"] += created
    return cycle


def _next_cycle(cycle: Cycle, summary: DemoSummary) -> Cycle:
    """The 2003/04 cycle with the 2002/03 requirements, and the NRF 2003/04 policy it governs."""
    following, created = Cycle.objects.get_or_create(year_start=NEXT_CYCLE["year_start"],
                                                     defaults=NEXT_CYCLE)
    summary.counts["next_cycle"] += created
    for r in cycle.requirements.order_by("order"):
        Requirement.objects.get_or_create(cycle=following, code=r.code, defaults={
            "order": r.order, "title": r.title, "description": r.description,
            "is_core": r.is_core, "wording_status": r.wording_status,
        })
    ReleasePolicy.objects.get_or_create(
        fund=Fund.objects.get(code="NRF"), year=FinancialYear.objects.get(start_year=2003),
        defaults={"governing_cycle": following, **POLICY_FRACTIONS},
    )
    return following


def _users(password: str, partnerships: list[Partnership], regions: list[Region],
           summary: DemoSummary) -> dict[str, User]:
    wanted = {}
    for p in partnerships:
        wanted[f"officer@{p.slug}.lsp.example"] = (f"{p.name} officer", False)
        wanted[f"chair@{p.slug}.lsp.example"] = (f"{p.name} chair", False)
    for r in regions:
        wanted[f"reviewer@{r.slug}.go.example"] = (f"GO {r.name} reviewer", False)
    for email, name, _, staff in NRU_USERS:
        wanted[email] = (name, staff)
    existing = set(User.objects.filter(email__in=wanted).values_list("email", flat=True))
    # One hash for every demo user: hashing is deliberately slow, and it is one password.
    hashed = make_password(password)
    User.objects.bulk_create(
        User(email=email, full_name=name, password=hashed, is_staff=staff, is_superuser=staff)
        for email, (name, staff) in wanted.items() if email not in existing
    )
    summary.counts["users"] += len(wanted) - len(existing)
    return {u.email: u for u in User.objects.filter(email__in=wanted)}


def _roles(users: dict[str, User], partnerships, regions, summary: DemoSummary) -> None:
    wanted = []
    for p in partnerships:
        wanted.append((users[f"officer@{p.slug}.lsp.example"], Role.LSP_OFFICER, p, None))
        wanted.append((users[f"chair@{p.slug}.lsp.example"], Role.LSP_CHAIR, p, None))
    for r in regions:
        wanted.append((users[f"reviewer@{r.slug}.go.example"], Role.GO_REVIEWER, None, r))
    for email, _, role, _ in NRU_USERS:
        wanted.append((users[email], role, None, None))
    before = RoleAssignment.objects.count()
    for user, role, partnership, region in wanted:
        role_assign(user=user, role=role, partnership=partnership, region=region)
    summary.counts["roles"] += RoleAssignment.objects.count() - before


def _members(users: dict[str, User], partnerships, summary: DemoSummary) -> None:
    with_members = set(Member.objects.values_list("partnership_id", flat=True))
    for i, p in enumerate(partnerships):
        if p.pk in with_members:
            continue
        area = p.local_authority.name
        chair_name = f"{chr(ord('A') + (i * 7) % 26)}. {SURNAMES[i % len(SURNAMES)]}"
        for organisation, representative, sector, role in MEMBERS:
            if p.slug == DEFERRED_SLUG and sector == Sector.COMMUNITY:
                continue
            member_add(
                partnership=p, by=users[f"officer@{p.slug}.lsp.example"],
                organisation=organisation.format(area=area),
                representative=representative.format(name=chair_name), sector=sector, role=role,
            )
            summary.counts["members"] += 1


# --- one partnership's story ----------------------------------------------------------------


def _story(*, i: int, partnership: Partnership, cycle: Cycle, users: dict[str, User],
           requirements: list[Requirement]) -> str:
    """Walk one partnership's assessment from start to decision; returns the outcome."""
    officer = users[f"officer@{partnership.slug}.lsp.example"]
    chair = users[f"chair@{partnership.slug}.lsp.example"]
    reviewer = users[f"reviewer@{partnership.local_authority.region.slug}.go.example"]
    area = partnership.local_authority.name
    deferred = partnership.slug == DEFERRED_SLUG
    with_concern = not deferred and i % 4 == 1 and any(r.code == "R4" for r in requirements)

    amber = {"R1", "R2"} if deferred else ({"R4"} if with_concern else set())

    started = date(2001, 10, 15) + timedelta(days=i % 20)
    with clock.held_at(_at(started, 10)) as at:
        assessment = assessment_start(partnership=partnership, cycle=cycle, by=officer, at=at)
    drafted = started + timedelta(days=21)
    responses = list(assessment.responses.select_related("requirement"))
    for n, response in enumerate(responses):
        code = response.requirement.code
        rating = Rating.AMBER if code in amber else Rating.GREEN
        text = (AMBER_CASES.get(code) if code in amber else None) or CASES.get(code, GENERIC_CASE)
        with clock.held_at(_at(drafted, 11, 5 * n)) as at:
            response_save(
                response=response, by=officer, self_rating=rating,
                case=text.format(lsp=partnership.name, area=area),
                inclusiveness_note=WALSALL_INCLUSIVENESS if deferred and code == "R2" else None,
                expected_version=response.version, at=at,
            )
    asked = date(2002, 1, 10) + timedelta(days=i % 10)
    with clock.held_at(_at(asked, 16)) as at:
        assessment_sign_off_request(assessment=assessment, by=officer, at=at)
    with clock.held_at(_at(asked + timedelta(days=3), 10)) as at:
        assessment_submit(assessment=assessment, by=chair, at=at)

    review_day = date(2002, 2, 4) + timedelta(days=i % 5)
    with clock.held_at(_at(review_day, 9, 30)) as at:
        assessment_start_review(assessment=assessment, by=reviewer, at=at)
    with clock.held_at(_at(review_day, 11)):
        for response in assessment.responses.select_related("requirement", "assessment"):
            rating, comment = (WALSALL_GO_VIEWS.get(response.requirement.code, (GoRating.AGREE, ""))
                               if deferred else (GoRating.AGREE, ""))
            response_go_rate(response=response, by=reviewer, go_rating=rating,
                             go_comment=comment)
    heard = review_day + timedelta(days=2)
    with clock.held_at(_at(heard, 14)):
        stakeholder_view_record(
            assessment=assessment, by=reviewer,
            organisation=f"{area} Council for Voluntary Service", sector=Sector.VOLUNTARY,
            stance=StakeholderView.Stance.SUPPORTS, given_on=heard,
            comment="The voluntary sector was involved throughout in drawing up the strategy.",
        )
        if deferred:
            stakeholder_view_record(
                assessment=assessment, by=reviewer, organisation=f"{area} community groups",
                sector=Sector.COMMUNITY, stance=StakeholderView.Stance.CONCERNS, given_on=heard,
                comment="Community groups have no place on the board and no say in the "
                        "priorities.",
            )
    by_code = {r.code: r for r in requirements}
    decided = _decision_day(i, partnership)
    if deferred:
        concerns = [
            Concern(requirement=by_code[code], concern=concern, action_required=action,
                    due_by=REVIEW_DATE)
            for code, (concern, action) in WALSALL_CONCERNS.items() if code in by_code
        ]
        with clock.held_at(_at(decided, 15)) as at:
            effects = funding_effects(assessment=assessment, funding_state=FundingState.DEFERRED)
            assessment_defer(
                assessment=assessment, by=reviewer, concerns=concerns, review_date=REVIEW_DATE,
                letter=letter_writer(effects=effects), on=decided, at=at,
                summary="Deferred pending review",
            )
        return "deferred"
    concerns = []
    if with_concern:
        concerns = [Concern(requirement=by_code["R4"], concern=R4_CONCERN[0],
                            action_required=R4_CONCERN[1], due_by=date(2003, 1, 31))]
    with clock.held_at(_at(decided, 15)) as at:
        effects = funding_effects(assessment=assessment, funding_state=FundingState.ACCREDITED)
        assessment_accredit(
            assessment=assessment, by=reviewer, concerns=concerns,
            letter=letter_writer(effects=effects), on=decided, at=at,
            summary="Accredited" if not concerns else "Accredited with an area of concern on R4",
        )
    return "accredited"


def demo_load(*, password: str, directory: Path | str = DATA_DIR) -> DemoSummary:
    """Build the February 2002 scenario (see the module docstring). Idempotent."""
    began = stopwatch.monotonic()
    if clock.training():
        # Before anything is recorded, so that nothing is dated after the service's today.
        training_date_start(on=DEMO_TODAY, by_label="load_demo")
    directory = Path(directory)
    summary = DemoSummary()
    if not (Partnership.objects.exists() and Fund.objects.filter(code="NRF").exists()
            and FinancialYear.objects.filter(start_year=2002).exists()):
        reference_load(directory=directory)
        summary.reference_loaded = True

    partnerships = list(Partnership.objects.select_related("local_authority__region")
                        .order_by("name"))
    regions = list(Region.objects.order_by("name"))
    with clock.held_at(_at(*SET_UP_AT)), transaction.atomic():
        cycle = _cycle_and_policy(directory, summary)
        _next_cycle(cycle, summary)
        users = _users(password, partnerships, regions, summary)
        _roles(users, partnerships, regions, summary)
        _members(users, partnerships, summary)
    requirements = list(cycle.requirements.order_by("order"))

    done = set(SelfAssessment.objects.filter(cycle=cycle).values_list("partnership_id", flat=True))
    with notifications_suppressed():
        for i, partnership in enumerate(partnerships):
            if partnership.pk in done:
                summary.counts["skipped"] += 1
                continue
            # What the commit sets off (the recompute, when tasks run in-process) is dated at
            # the story's last step, the decision.
            with clock.held_at(_at(_decision_day(i, partnership), 15)), transaction.atomic():
                outcome = _story(i=i, partnership=partnership, cycle=cycle, users=users,
                                 requirements=requirements)
            summary.counts["assessments"] += 1
            summary.outcomes[outcome] += 1
    # What was announced on 28 February 2002 is recorded now, as the public pages would at their
    # first read: later decisions in the story are dated updates beneath it.
    summary.counts["announcements"] = len(announcements_take_due(today=clock.today()))
    summary.seconds = stopwatch.monotonic() - began
    return summary
