"""Target and progress-return services: validation with one plain message per field, floor
targets, judgements computed (and recomputed when the target changes), nothing written when
refused."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from performance import services
from performance.models import Kind, ProgressReturn, Target, Theme, Unit
from performance.services import TargetInput, TargetProblems
from tests.factories import PartnershipFactory, UserFactory
from tests.performance.factories import FloorTargetFactory, ProgressReturnFactory, TargetFactory

pytestmark = pytest.mark.django_db
D = Decimal

GOOD = TargetInput(
    theme=Theme.EMPLOYMENT, kind=Kind.LOCAL, floor_target=None, title="More people in work",
    indicator="Employment rate of working-age residents", unit=Unit.PERCENT,
    baseline_value=D("52.5"), baseline_year=2001, target_value=D("58"), target_year=2005,
    lead_partner="Jobcentre Plus",
)


def problems_of(error: TargetProblems) -> dict[str | None, str]:
    return {p.field: p.message for p in error.problems}


def test_target_add_stores_every_field():
    partnership, user = PartnershipFactory(), UserFactory()
    target = services.target_add(partnership=partnership, by=user,
                                 data=replace(GOOD, title="  More people in work  "))
    target.refresh_from_db()
    assert (target.title, target.theme, target.kind, target.unit) == (
        "More people in work", "employment", "local", "percent")
    assert (target.baseline_value, target.baseline_year, target.target_value, target.target_year) == (
        D("52.50"), 2001, D("58.00"), 2005)
    assert target.floor_target is None
    assert target.created_by == user and target.updated_by == user


def test_a_floor_target_links_the_national_one():
    floor = FloorTargetFactory(theme=Theme.EMPLOYMENT)
    target = services.target_add(partnership=PartnershipFactory(), by=UserFactory(),
                                 data=replace(GOOD, kind=Kind.FLOOR, floor_target=floor))
    assert target.floor_target == floor and target.kind == Kind.FLOOR


def test_a_local_target_drops_a_floor_target_given_with_it():
    floor = FloorTargetFactory(theme=Theme.EMPLOYMENT)
    target = services.target_add(partnership=PartnershipFactory(), by=UserFactory(),
                                 data=replace(GOOD, kind=Kind.LPSA, floor_target=floor))
    assert target.floor_target is None and target.kind == Kind.LPSA


BAD_TARGETS = {
    "no kind": ({"kind": ""}, "kind", "Select which kind of target this is"),
    "floor without floor target": ({"kind": Kind.FLOOR}, "kind",
                                   "Select the national floor target this target meets"),
    "no theme": ({"theme": "transport"}, "theme", "Select the theme of the target"),
    "no title": ({"title": "   "}, "title", "Enter the title of the target"),
    "long title": ({"title": "x" * 201}, "title", "The title of the target must be 200 characters or fewer"),
    "no indicator": ({"indicator": ""}, "indicator", "Enter the indicator"),
    "no unit": ({"unit": "furlongs"}, "unit", "Select the unit the indicator is measured in"),
    "no baseline": ({"baseline_value": None}, "baseline_value", "Enter the baseline value"),
    "negative baseline": ({"baseline_value": D("-1")}, "baseline_value",
                          "The baseline value must be 0 or more"),
    "percentage over 100": ({"target_value": D("100.01")}, "target_value",
                            "The target value is a percentage, so it must be 100 or less"),
    "three decimal places": ({"baseline_value": D("52.125")}, "baseline_value",
                             "The baseline value must have no more than 2 decimal places"),
    "huge value": ({"unit": Unit.NUMBER, "target_value": D("1000000000000")}, "target_value",
                   "The target value must be less than 1,000,000,000,000"),
    "target equals baseline": ({"target_value": D("52.50")}, "target_value",
                               "The target value must be different from the baseline value, so that "
                               "it says which way is better"),
    "baseline year out of range": ({"baseline_year": 1989}, "baseline_year",
                                   "The baseline year must be between 1990 and 2030"),
    "target year missing": ({"target_year": None}, "target_year", "Enter the target year"),
    "target year before baseline": ({"target_year": 2000}, "target_year",
                                    "The target year must be after the baseline year (2001/02)"),
    "target year equals baseline": ({"target_year": 2001}, "target_year",
                                    "The target year must be after the baseline year (2001/02)"),
    "no lead partner": ({"lead_partner": ""}, "lead_partner", "Enter the lead partner organisation"),
}


@pytest.mark.parametrize(("change", "field", "message"), BAD_TARGETS.values(), ids=BAD_TARGETS.keys())
def test_bad_targets_are_refused_with_a_plain_message(change, field, message):
    with pytest.raises(TargetProblems) as refused:
        services.target_add(partnership=PartnershipFactory(), by=UserFactory(),
                            data=replace(GOOD, **change))
    assert problems_of(refused.value) == {field: message}
    assert not Target.objects.exists()


def test_every_problem_is_reported_at_once():
    with pytest.raises(TargetProblems) as refused:
        services.target_add(partnership=PartnershipFactory(), by=UserFactory(), data=replace(
            GOOD, title="", baseline_value=D("-3"), target_year=1999, lead_partner=""))
    assert list(problems_of(refused.value)) == ["title", "baseline_value", "target_year", "lead_partner"]


def test_the_theme_must_match_the_floor_target():
    floor = FloorTargetFactory(theme=Theme.CRIME)
    with pytest.raises(TargetProblems) as refused:
        services.target_add(partnership=PartnershipFactory(), by=UserFactory(),
                            data=replace(GOOD, kind=Kind.FLOOR, floor_target=floor))
    assert problems_of(refused.value) == {
        "theme": "The floor target you selected is about crime: select Crime as the theme"}


def test_a_retired_floor_target_is_not_offered_to_new_targets_but_stays_on_old_ones():
    floor = FloorTargetFactory(theme=Theme.EMPLOYMENT, is_current=False)
    with pytest.raises(TargetProblems) as refused:
        services.target_add(partnership=PartnershipFactory(), by=UserFactory(),
                            data=replace(GOOD, kind=Kind.FLOOR, floor_target=floor))
    assert problems_of(refused.value) == {"kind": "That floor target is no longer offered: select another"}

    target = TargetFactory(theme=Theme.EMPLOYMENT, kind=Kind.FLOOR, floor_target=floor)
    updated = services.target_update(target=target, by=UserFactory(), data=replace(
        GOOD, kind=Kind.FLOOR, floor_target=floor, title="Still the retired floor target"))
    assert updated.floor_target == floor


def test_titles_are_unique_within_a_partnership_only():
    partnership = PartnershipFactory()
    services.target_add(partnership=partnership, by=UserFactory(), data=GOOD)
    with pytest.raises(TargetProblems) as refused:
        services.target_add(partnership=partnership, by=UserFactory(),
                            data=replace(GOOD, title="MORE people in work"))
    assert problems_of(refused.value) == {
        "title": f"{partnership.name} already has a target called ‘MORE people in work’: give this one "
                 "a different title"}
    services.target_add(partnership=PartnershipFactory(), by=UserFactory(), data=GOOD)
    assert Target.objects.count() == 2


def _as_input(target: Target, **change) -> TargetInput:
    fields = {name: getattr(target, name) for name in TargetInput.__dataclass_fields__}
    return TargetInput(**{**fields, **change})


def test_changing_a_target_judges_its_returns_again():
    """Burglaries 40 -> 30 over 2001-2005; 36 in 2003/04 is 1 behind the line: amber. With the
    target moved to 20, 2003/04 expects 30, so 36 is 6 behind against a tolerance of 2: red."""
    target = TargetFactory()
    progress = ProgressReturnFactory(target=target, year=2003, actual=D("36"))
    assert progress.rag == "amber"
    user = UserFactory()

    services.target_update(target=target, by=user, data=_as_input(target, target_value=D("20")))

    progress.refresh_from_db()
    assert progress.rag == "red"
    target.refresh_from_db()
    assert target.updated_by == user


def test_a_change_that_leaves_returns_outside_the_years_is_refused():
    target = TargetFactory(baseline_year=2001, target_year=2005)
    ProgressReturnFactory(target=target, year=2002)
    ProgressReturnFactory(target=target, year=2004)
    with pytest.raises(TargetProblems) as refused:
        services.target_update(target=target, by=UserFactory(),
                               data=_as_input(target, baseline_year=2002))
    assert problems_of(refused.value) == {
        "target_year": "There is a progress return for 2002/03, outside the years from the baseline to "
                       "the target: keep the years around them"}
    target.refresh_from_db()
    assert target.baseline_year == 2001


# --- progress returns ---------------------------------------------------------------------------


def test_a_return_is_judged_when_it_is_saved():
    target = TargetFactory()  # 40 -> 30, 2001/02 to 2005/06, lower is better
    user = UserFactory()
    progress = services.return_add(target=target, by=user, year=2002, actual=D("37.5"),
                                   commentary=" Burglary reduction grant started. ")
    progress.refresh_from_db()
    assert (progress.year, progress.actual, progress.rag, progress.recorded_by) == (
        2002, D("37.50"), "green", user)
    assert progress.commentary == "Burglary reduction grant started."


@pytest.mark.parametrize(("actual", "rag"), [
    (D("35"), "green"), (D("36"), "amber"), (D("36.01"), "red"), (D("28"), "green"),
])
def test_return_judgement_follows_the_rule(actual, rag):
    target = TargetFactory()
    assert services.return_add(target=target, by=UserFactory(), year=2003, actual=actual,
                               commentary="Why.").rag == rag


TODAY = dt.date(2004, 6, 1)  # financial year 2004/05 has started; 2005/06 has not


@pytest.mark.parametrize(("year", "actual", "commentary", "field", "message"), [
    (None, D("35"), "", "year", "Select the financial year of the return"),
    (2001, D("35"), "", "year",
     "The year must be between 2002/03 and 2005/06, the years from the baseline to the target"),
    (2006, D("35"), "", "year",
     "The year must be between 2002/03 and 2005/06, the years from the baseline to the target"),
    (2005, D("35"), "", "year", "2005/06 has not started yet: give a return for a year that has"),
    (2003, None, "", "actual", "Enter the actual value"),
    (2003, D("-0.01"), "", "actual", "The actual value must be 0 or more"),
    (2003, D("35.001"), "", "actual", "The actual value must have no more than 2 decimal places"),
    (2003, D("36"), "", "commentary",
     "The target is at risk in 2003/04: say why, and what the partnership is doing about it"),
    (2003, D("39"), "", "commentary",
     "The target is off track in 2003/04: say why, and what the partnership is doing about it"),
    (2003, D("35"), "x" * 5001, "commentary", "The commentary must be 5000 characters or fewer"),
])
def test_bad_returns_are_refused(year, actual, commentary, field, message):
    target = TargetFactory()
    problems = services.return_problems(target=target, year=year, actual=actual,
                                        commentary=commentary, today=TODAY)
    assert {p.field: p.message for p in problems} == {field: message}


def test_a_year_already_returned_is_refused_and_nothing_is_written():
    target = TargetFactory()
    ProgressReturnFactory(target=target, year=2003)
    with pytest.raises(TargetProblems) as refused:
        services.return_add(target=target, by=UserFactory(), year=2003, actual=D("30"))
    assert problems_of(refused.value) == {
        "year": "There is already a return for 2003/04: change that one instead"}
    assert ProgressReturn.objects.count() == 1


def test_a_percentage_return_over_100_is_refused():
    target = TargetFactory(unit=Unit.PERCENT, baseline_value=D("50"), target_value=D("60"))
    with pytest.raises(TargetProblems) as refused:
        services.return_add(target=target, by=UserFactory(), year=2002, actual=D("101"))
    assert problems_of(refused.value) == {
        "actual": "The actual value is a percentage, so it must be 100 or less"}


def test_on_track_needs_no_commentary():
    target = TargetFactory()
    progress = services.return_add(target=target, by=UserFactory(), year=2002, actual=D("37"))
    assert progress.rag == "green" and progress.commentary == ""


def test_return_update_corrects_the_value_and_judges_it_again():
    target = TargetFactory()
    progress = ProgressReturnFactory(target=target, year=2003, actual=D("35"))
    assert progress.rag == "green"
    user = UserFactory()

    updated = services.return_update(progress=progress, by=user, actual=D("38"),
                                     commentary="Corrected: the police figures were revised.")

    updated.refresh_from_db()
    assert (updated.year, updated.actual, updated.rag, updated.recorded_by) == (2003, D("38.00"), "red", user)

    with pytest.raises(TargetProblems) as refused:
        services.return_update(progress=progress, by=user, actual=D("38"), commentary="")
    assert problems_of(refused.value) == {
        "commentary": "The target is off track in 2003/04: say why, and what the partnership is doing "
                      "about it"}


def test_floats_never_reach_the_database():
    with pytest.raises(TypeError):
        services.return_add(target=TargetFactory(), by=UserFactory(), year=2002, actual=37.5)
