"""Every write to targets and progress returns. Each service checks the whole input, refuses
with every problem at once (`TargetProblems`, one message per field, as GOV.UK error
summaries list them), and computes each return's judgement with performance.rules."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from core import clock
from core.errors import ApplicationError
from partnerships.models import Partnership

from . import rules
from .models import FloorTarget, Kind, ProgressReturn, Target, Theme, Unit

YEAR_MIN = 1990
YEAR_MAX = 2030
VALUE_MAX = Decimal("999999999999.99")
PERCENT_MAX = Decimal(100)
TITLE_MAX = 200
INDICATOR_MAX = 300
LEAD_PARTNER_MAX = 200
COMMENTARY_MAX = 5000


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str


class TargetProblems(ApplicationError):
    """The input breaks one or more rules; nothing was written. `problems` lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].message, extra={"field": problems[0].field})


def current_financial_year(today=None) -> int:
    today = today or clock.today()
    return today.year if today.month >= 4 else today.year - 1


def _value_problems(name: str, label: str, value: Decimal | None, unit: str) -> list[Problem]:
    if value is None:
        return [Problem(name, f"Enter the {label}")]
    if isinstance(value, float):
        raise TypeError("values are Decimal, never float")
    if not Decimal(value).is_finite():
        return [Problem(name, f"Enter the {label} as a number")]
    if value < 0:
        return [Problem(name, f"The {label} must be 0 or more")]
    if unit == Unit.PERCENT and value > PERCENT_MAX:
        return [Problem(name, f"The {label} is a percentage, so it must be 100 or less")]
    if value > VALUE_MAX:
        return [Problem(name, f"The {label} must be less than 1,000,000,000,000")]
    if value != round(value, 2):
        return [Problem(name, f"The {label} must have no more than 2 decimal places")]
    return []


def _year_problems(name: str, label: str, year: int | None) -> list[Problem]:
    if year is None:
        return [Problem(name, f"Enter the {label}")]
    if not YEAR_MIN <= year <= YEAR_MAX:
        return [Problem(name, f"The {label} must be between {YEAR_MIN} and {YEAR_MAX}")]
    return []


def _text_problems(name: str, label: str, text: str, limit: int) -> list[Problem]:
    if not text:
        return [Problem(name, f"Enter the {label}")]
    if len(text) > limit:
        return [Problem(name, f"The {label} must be {limit} characters or fewer")]
    return []


@dataclass(frozen=True)
class TargetInput:
    theme: str
    kind: str
    floor_target: FloorTarget | None
    title: str
    indicator: str
    unit: str
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    target_year: int | None
    lead_partner: str


def target_problems(data: TargetInput, *, partnership: Partnership,
                    target: Target | None = None) -> list[Problem]:
    """Everything wrong with the input, in the order the form asks (empty when it is fine)."""
    problems: list[Problem] = []
    if data.kind not in Kind.values:
        problems.append(Problem("kind", "Select which kind of target this is"))
    elif data.kind == Kind.FLOOR:
        floor = data.floor_target
        if floor is None:
            problems.append(Problem("kind", "Select the national floor target this target meets"))
        elif not floor.is_current and (target is None or target.floor_target_id != floor.pk):
            problems.append(Problem("kind", "That floor target is no longer offered: select another"))
    if data.theme not in Theme.values:
        problems.append(Problem("theme", "Select the theme of the target"))
    elif data.kind == Kind.FLOOR and data.floor_target and data.floor_target.theme != data.theme:
        problems.append(Problem(
            "theme", f"The floor target you selected is about {data.floor_target.get_theme_display().lower()}"
                     f": select {data.floor_target.get_theme_display()} as the theme"))
    problems += _text_problems("title", "title of the target", data.title, TITLE_MAX)
    if data.title and len(data.title) <= TITLE_MAX:
        clash = Target.objects.filter(partnership=partnership, title__iexact=data.title)
        if target is not None:
            clash = clash.exclude(pk=target.pk)
        if clash.exists():
            problems.append(_title_taken(partnership, data.title))
    problems += _text_problems("indicator", "indicator", data.indicator, INDICATOR_MAX)
    if data.unit not in Unit.values:
        problems.append(Problem("unit", "Select the unit the indicator is measured in"))
    unit = data.unit if data.unit in Unit.values else Unit.NUMBER
    problems += _value_problems("baseline_value", "baseline value", data.baseline_value, unit)
    problems += _year_problems("baseline_year", "baseline year", data.baseline_year)
    target_value_problems = _value_problems("target_value", "target value", data.target_value, unit)
    problems += target_value_problems
    if (not target_value_problems and data.baseline_value is not None
            and data.target_value == data.baseline_value):
        problems.append(Problem("target_value", "The target value must be different from the "
                                                "baseline value, so that it says which way is better"))
    year_problems = _year_problems("target_year", "target year", data.target_year)
    problems += year_problems
    if (not year_problems and data.baseline_year is not None and data.target_year is not None
            and YEAR_MIN <= data.baseline_year <= YEAR_MAX and data.target_year <= data.baseline_year):
        problems.append(Problem("target_year", "The target year must be after the baseline year "
                                               f"({rules.year_label(data.baseline_year)})"))
    problems += _text_problems("lead_partner", "lead partner organisation", data.lead_partner,
                               LEAD_PARTNER_MAX)
    if (target is not None and data.baseline_year is not None and data.target_year is not None
            and not any(p.field in ("baseline_year", "target_year") for p in problems)):
        outside = [r.year_label for r in target.returns.order_by("year")
                   if not data.baseline_year < r.year <= data.target_year]
        if outside:
            problems.append(Problem(
                "target_year",
                f"There {'is a progress return' if len(outside) == 1 else 'are progress returns'} "
                f"for {', '.join(outside)}, outside the years from the baseline to the target: "
                "keep the years around them"))
    return problems


def _clean(data: TargetInput) -> TargetInput:
    return TargetInput(
        theme=data.theme, kind=data.kind,
        floor_target=data.floor_target if data.kind == Kind.FLOOR else None,
        title=(data.title or "").strip(), indicator=(data.indicator or "").strip(), unit=data.unit,
        baseline_value=data.baseline_value, baseline_year=data.baseline_year,
        target_value=data.target_value, target_year=data.target_year,
        lead_partner=(data.lead_partner or "").strip(),
    )


def _title_taken(partnership: Partnership, title: str) -> Problem:
    return Problem("title", f"{partnership.name} already has a target called ‘{title}’: "
                            "give this one a different title")


def target_add(*, partnership: Partnership, by, data: TargetInput) -> Target:
    data = _clean(data)
    problems = target_problems(data, partnership=partnership)
    if problems:
        raise TargetProblems(problems)
    # target_problems refuses any of these missing.
    assert (data.baseline_value is not None and data.baseline_year is not None
            and data.target_value is not None and data.target_year is not None)
    try:
        with transaction.atomic():
            return Target.objects.create(
                partnership=partnership, created_by=by, updated_by=by,
                theme=data.theme, kind=data.kind, floor_target=data.floor_target,
                title=data.title, indicator=data.indicator, unit=data.unit,
                baseline_value=data.baseline_value, baseline_year=data.baseline_year,
                target_value=data.target_value, target_year=data.target_year,
                lead_partner=data.lead_partner,
            )
    except IntegrityError as error:  # the same title, added at the same moment by someone else
        raise TargetProblems([_title_taken(partnership, data.title)]) from error


@transaction.atomic
def target_update(*, target: Target, by, data: TargetInput) -> Target:
    """Change the target; every progress return is judged again against the new trajectory."""
    target = Target.objects.select_for_update().select_related("partnership").get(pk=target.pk)
    data = _clean(data)
    problems = target_problems(data, partnership=target.partnership, target=target)
    if problems:
        raise TargetProblems(problems)
    for name in ("theme", "kind", "floor_target", "title", "indicator", "unit", "baseline_value",
                 "baseline_year", "target_value", "target_year", "lead_partner"):
        setattr(target, name, getattr(data, name))
    target.updated_by = by
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as error:
        raise TargetProblems([_title_taken(target.partnership, data.title)]) from error
    returns = list(target.returns.all())
    for progress in returns:
        progress.target = target
        progress.rag = progress.judgement().rag
    ProgressReturn.objects.bulk_update(returns, ["rag"])
    return target


def return_problems(*, target: Target, year: int | None, actual: Decimal | None, commentary: str,
                    progress: ProgressReturn | None = None, today=None) -> list[Problem]:
    problems: list[Problem] = []
    if progress is None:
        first, last = target.baseline_year + 1, target.target_year
        if year is None:
            problems.append(Problem("year", "Select the financial year of the return"))
        elif not first <= year <= last:
            problems.append(Problem(
                "year", f"The year must be between {rules.year_label(first)} and "
                        f"{rules.year_label(last)}, the years from the baseline to the target"))
        elif year > current_financial_year(today):
            problems.append(Problem("year", f"{rules.year_label(year)} has not started yet: "
                                            "give a return for a year that has"))
        elif target.returns.filter(year=year).exists():
            problems.append(Problem("year", f"There is already a return for {rules.year_label(year)}:"
                                            " change that one instead"))
    problems += _value_problems("actual", "actual value", actual, target.unit)
    if len(commentary) > COMMENTARY_MAX:
        problems.append(Problem("commentary",
                                f"The commentary must be {COMMENTARY_MAX} characters or fewer"))
    elif not problems and not commentary and actual is not None:
        judged_year = progress.year if progress else year
        assert judged_year is not None  # a missing year is a problem above
        judgement = rules.judge(target.trajectory, year=judged_year, actual=actual)
        if judgement.rag != rules.GREEN:
            problems.append(Problem(
                "commentary", f"The target is {judgement.label} in {rules.year_label(judged_year)}: "
                              "say why, and what the partnership is doing about it"))
    return problems


def return_add(*, target: Target, by, year: int | None, actual: Decimal | None,
               commentary: str = "") -> ProgressReturn:
    """Record the actual value for a year; the judgement is computed, never entered."""
    commentary = (commentary or "").strip()
    with transaction.atomic():
        target = Target.objects.select_for_update().get(pk=target.pk)
        problems = return_problems(target=target, year=year, actual=actual, commentary=commentary)
        if problems:
            raise TargetProblems(problems)
        assert year is not None and actual is not None  # return_problems refuses either missing
        progress = ProgressReturn(target=target, year=year, actual=actual, commentary=commentary,
                                  recorded_by=by)
        progress.rag = progress.judgement().rag
        progress.save()
    return progress


@transaction.atomic
def return_update(*, progress: ProgressReturn, by, actual: Decimal | None,
                  commentary: str = "") -> ProgressReturn:
    """Correct a return's actual value or commentary (its year stays)."""
    commentary = (commentary or "").strip()
    target = Target.objects.select_for_update().get(pk=progress.target_id)
    progress = ProgressReturn.objects.get(pk=progress.pk)
    problems = return_problems(target=target, year=progress.year, actual=actual,
                               commentary=commentary, progress=progress)
    if problems:
        raise TargetProblems(problems)
    assert actual is not None  # return_problems refuses a missing value
    progress.target = target
    progress.actual = actual
    progress.commentary = commentary
    progress.recorded_by = by
    progress.rag = progress.judgement().rag
    progress.save()
    return progress
