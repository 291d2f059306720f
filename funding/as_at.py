"""The position as at a date: which day a page or the API was asked for, checked, and the
accreditation status a partnership had at the end of it.

A day comes as `as_at=YYYY-MM-DD` (links, the API) or from the GOV.UK date input of the pages
(`as_at_0`, `as_at_1`, `as_at_2`: day, month, year). It must be a real date, not before the
first financial year starts and not after the clock's today. Today itself is the current
position: the figures as they stand (no entry or decision takes effect after today).
"""

import re
from dataclasses import dataclass
from datetime import date

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.db.models import Case, Exists, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import QueryDict

from accreditation.models import AccreditationEvent, FundingState
from core import clock
from core.forms import GovukDateField

from .models import FinancialYear

PARAMETER = "as_at"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


class AsAtForm(forms.Form):
    """The GOV.UK date input of the pages (a GET form): "Show the figures as at"."""

    as_at = GovukDateField(what="the date to show the figures as at", label="Show the figures as at",
                           required=False, require_all_fields=False)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_at"].help_text = (f"The end of a day, up to today ({_long(today)}). "
                                          "For example, 27 3 2002")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form: the day is in the address
        self.helper.layout = Layout(
            Field("as_at", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Button.secondary("show", "Show the figures"),
        )


@dataclass(frozen=True)
class AsAt:
    """The day asked for (today when none, or a bad one, was asked for) and the form that
    reports a bad one. `past` is the day when it is before today, else None: what the
    selectors take (None reads the figures as they stand)."""

    day: date
    form: AsAtForm
    today: date

    @property
    def past(self) -> date | None:
        return self.day if self.day < self.today else None

    @property
    def error(self) -> str:
        errors = self.form.errors.get(PARAMETER) if self.form.is_bound else None
        return str(errors[0]) if errors else ""

    def query(self) -> str:
        """`as_at=YYYY-MM-DD` for links that keep the day, or "" for today."""
        return f"{PARAMETER}={self.day.isoformat()}" if self.past else ""


def first_day() -> date | None:
    """The first day of the first financial year (none loaded: no lower bound)."""
    return FinancialYear.objects.order_by("starts_on").values_list("starts_on", flat=True).first()


def _split(day: date) -> dict[str, str]:
    return {f"{PARAMETER}_0": str(day.day), f"{PARAMETER}_1": str(day.month),
            f"{PARAMETER}_2": str(day.year)}


def as_at_read(params: QueryDict, *, earliest: date | None = None,
               earliest_known: bool = False) -> AsAt:
    """The day `params` ask for, checked. `earliest` (the first financial year's first day) is
    read from the database unless the caller already knows it (`earliest_known`)."""
    as_at = _as_at_read(params, earliest=earliest, earliest_known=earliest_known)
    if as_at.error:
        # A message about the whole date: the error summary links it to the day's box (the
        # first of the three), as GOV.UK's date input asks.
        boxes = [box.widget for box in as_at.form.fields[PARAMETER].fields]
        if not any(getattr(box, "errors", None) for box in boxes):
            boxes[0].errors = list(as_at.form.errors[PARAMETER])
    return as_at


def _as_at_read(params: QueryDict, *, earliest: date | None, earliest_known: bool) -> AsAt:
    today = clock.today()
    data: dict[str, str] | None = None
    error = ""
    iso = params.get(PARAMETER)
    if iso is not None and iso != "":
        if ISO_DAY.fullmatch(iso):
            try:
                data = _split(date.fromisoformat(iso))
            except ValueError:
                error = "The date to show the figures as at must be a real date, like 2002-03-27"
        else:
            error = ("The date to show the figures as at must be a real date in the form "
                     "YYYY-MM-DD, like 2002-03-27")
    elif any(params.get(f"{PARAMETER}_{n}") for n in range(3)):
        data = {f"{PARAMETER}_{n}": params.get(f"{PARAMETER}_{n}", "") for n in range(3)}
    if error:
        data = {}  # bound, empty: the error is added below, beside the date input
    form = AsAtForm(data, today=today, initial={PARAMETER: today})
    if not form.is_bound:
        return AsAt(day=today, form=form, today=today)
    if error:
        form.is_valid()
        form.add_error(PARAMETER, error)
        return AsAt(day=today, form=form, today=today)
    if not form.is_valid() or form.cleaned_data[PARAMETER] is None:
        return AsAt(day=today, form=form, today=today)
    day = form.cleaned_data[PARAMETER]
    if not earliest_known:
        earliest = first_day()
    if day > today:
        form.add_error(PARAMETER, "The date to show the figures as at must be today or earlier: "
                                  f"today is {_long(today)}")
        return AsAt(day=today, form=form, today=today)
    if earliest is not None and day < earliest:
        form.add_error(PARAMETER, f"The date to show the figures as at must be {_long(earliest)} "
                                  "or later: the first financial year starts then")
        return AsAt(day=today, form=form, today=today)
    return AsAt(day=day, form=form, today=today)


def funding_state_on(day: date, **assessment: Combinable | int) -> Case:
    """An expression: a funding state at the end of `day`, from the decisions effective by then
    (AccreditationEvent.effective_on) of the assessment the lookups name (say
    `assessment__partnership=OuterRef("partnership_id"), assessment__cycle_id=3`, or
    `assessment=OuterRef("pk")`). An accreditation is final; otherwise a deferral stands;
    otherwise not yet decided."""

    def decided(state: str) -> Exists:
        return Exists(AccreditationEvent.objects.filter(
            **assessment, to_status=state, effective_on__lte=day))

    return Case(
        When(Q(decided(FundingState.ACCREDITED)), then=Value(FundingState.ACCREDITED.value)),
        When(Q(decided(FundingState.DEFERRED)), then=Value(FundingState.DEFERRED.value)),
        default=Value(FundingState.UNDECIDED.value),
    )


def decided_by(day: date, *, cycle_id: int, outcome: str) -> QuerySet:
    """The partnerships with a decision `outcome` (accredited or deferred) in the cycle
    effective by the end of `day`: one uncorrelated subquery, which the database runs once and
    hashes, for `partnership_id__in=` over thousands of rows."""
    return AccreditationEvent.objects.filter(
        assessment__cycle_id=cycle_id, to_status=outcome, effective_on__lte=day,
    ).values("assessment__partnership_id")


def partnership_state_on(day: date, *, cycle_id: int, field: str = "partnership_id") -> Case:
    """An expression: the funding state in the cycle, at the end of `day`, of the partnership
    that `field` names (as `funding_state_on`, through `decided_by`)."""
    return Case(
        When(Q(**{f"{field}__in": decided_by(day, cycle_id=cycle_id,
                                              outcome=FundingState.ACCREDITED)}),
             then=Value(FundingState.ACCREDITED.value)),
        When(Q(**{f"{field}__in": decided_by(day, cycle_id=cycle_id,
                                              outcome=FundingState.DEFERRED)}),
             then=Value(FundingState.DEFERRED.value)),
        default=Value(FundingState.UNDECIDED.value),
    )
