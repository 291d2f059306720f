"""Forms for the Government Office reviewer's pages. They check input and say what is wrong in
GOV.UK style; the services decide what is allowed.

crispy-forms-gds prints labels, hints and legends as they are (|safe), so any of them built
from stored text (a requirement's title) is composed with `format_html`, which escapes it."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Fieldset, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html

from core import clock
from core.forms import GovukDateField as DateField
from partnerships.models import Sector

from .models import Cycle, GoRating, Requirement, StakeholderView
from .review_selectors import QUEUE_STATUSES
from .services.decisions import Concern

TEXT_LIMIT = 5000


def _version_field():
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class _GovForm(forms.Form):
    submit_label = "Continue"

    def clean(self):
        data = super().clean()
        if "version" in self.errors:
            # A hidden field nobody can correct: the page itself is broken or out of date.
            self.add_error(None, "This page is out of date. Go back to the review, open the page "
                                 "again and re-enter your answers.")
        return data

    def helper_for(self, *layout, submit_label: str | None = None) -> FormHelper:
        helper = FormHelper()
        helper.layout = Layout(*layout, "version" if "version" in self.fields else HTML(""),
                               Button("submit", submit_label or self.submit_label))
        return helper


class QueueFilterForm(forms.Form):
    """The queue's filters, sent by GET so they work without JavaScript and can be bookmarked."""

    cycle = forms.ModelChoiceField(queryset=Cycle.objects.none(), required=False,
                                   empty_label=None, label="Cycle")
    status = forms.ChoiceField(choices=[("", "All statuses"), *QUEUE_STATUSES], required=False,
                               label="Status")

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Field.select("cycle"), Field.select("status"),
                                    Button.secondary("filter", "Apply filters"))


class ResponseRateForm(_GovForm):
    go_rating = forms.ChoiceField(
        label="Your rating", widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you agree, or your own rating"},
    )
    go_comment = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_LIMIT,
        help_text="Required when your rating differs from the partnership's.",
        error_messages={"max_length": f"The reason must be {TEXT_LIMIT} characters or fewer"},
    )
    version = _version_field()

    def __init__(self, *args, response, **kwargs):
        super().__init__(*args, **kwargs)
        self.response = response
        own = response.get_self_rating_display() or "no rating"
        self.fields["go_rating"].choices = [
            (GoRating.AGREE, f"Agree with the partnership's rating ({own})"),
            (GoRating.RED, "Red"), (GoRating.AMBER, "Amber"), (GoRating.GREEN, "Green"),
        ]
        self.helper = self.helper_for(
            Field.radios("go_rating", legend_size=Size.MEDIUM), Field.textarea("go_comment"),
            submit_label="Save rating",
        )

    def clean(self):
        data = super().clean()
        rating = data.get("go_rating")
        if rating and rating == self.response.self_rating:
            data["go_rating"] = rating = GoRating.AGREE
        if rating and rating != GoRating.AGREE and not data.get("go_comment", "").strip():
            self.add_error("go_comment", "Give the reason for a rating different from the partnership's")
        return data


class StakeholderViewForm(_GovForm):
    organisation = forms.CharField(
        label="Organisation", max_length=200,
        error_messages={"required": "Enter the organisation",
                        "max_length": "The organisation must be 200 characters or fewer"},
    )
    sector = forms.ChoiceField(
        label="Sector", choices=Sector.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the organisation's sector"},
    )
    stance = forms.ChoiceField(
        label="Their view of the partnership's self-assessment",
        choices=StakeholderView.Stance.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether they support it or have concerns"},
    )
    comment = forms.CharField(
        label="What they said", widget=forms.Textarea(attrs={"rows": 5}), max_length=TEXT_LIMIT,
        error_messages={"required": "Enter what they said",
                        "max_length": f"What they said must be {TEXT_LIMIT} characters or fewer"},
    )
    given_on = DateField(what="the date they gave their view", label="Date they gave their view",
                         help_text="For example, 12 2 2002")
    version = _version_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.helper_for(
            Field.text("organisation"), Field.radios("sector", legend_size=Size.SMALL, inline=True),
            Field.radios("stance", legend_size=Size.SMALL), Field.textarea("comment"),
            Field("given_on"), submit_label="Save stakeholder view",
        )

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on and given_on > clock.today():
            raise ValidationError("The date they gave their view must be today or in the past")
        return given_on


class DecisionChooseForm(forms.Form):
    ACCREDIT = "accredit"
    ACCREDIT_WITH_CONCERNS = "accredit-with-concerns"
    DEFER = "defer"
    RETURN = "return"

    outcome = forms.ChoiceField(
        label="What is your decision?", widget=forms.RadioSelect,
        choices=[
            (ACCREDIT, "Accredit"),
            (ACCREDIT_WITH_CONCERNS, "Accredit with areas of concern"),
            (DEFER, "Defer, with areas of concern and a review date"),
            (RETURN, "Return to the partnership for changes"),
        ],
        error_messages={"required": "Choose a decision"},
    )

    def __init__(self, *args, review_round: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if review_round > 1:
            # A review after a deferral ends in accreditation or a further deferral.
            self.fields["outcome"].choices = [
                (self.ACCREDIT, "Accredit"),
                (self.ACCREDIT_WITH_CONCERNS, "Accredit with areas of concern"),
                (self.DEFER, "Defer again, with new actions and a new review date"),
            ]
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.radios("outcome", legend_size=Size.LARGE, legend_tag="h1"),
                                    Button("submit", "Continue"))


def _long(day) -> str:
    return f"{day:%-d %B %Y}"


def decision_date_field():
    # Shown filled in with the clock's today; sent empty (a form from before dates were asked, a
    # client posting without it), it means today.
    return DateField(what="the date of the decision", label="Date of the decision",
                     required=False, require_all_fields=False,
                     help_text="The day the Government Office decided: today, or an earlier day "
                               "after the self-assessment was submitted. For example, 28 3 2002")


def decision_date_layout() -> Field:
    return Field("decided_on", context={"legend_size": Size.for_legend(Size.MEDIUM)})


def decision_date_problem(on, *, today, submitted_on, name: str = "") -> str | None:
    """What is wrong with a decision's date, in words for the field; None if nothing."""
    if on > today:
        return f"The date of the decision must be today ({_long(today)}) or earlier"
    if submitted_on and on < submitted_on:
        whose = f"{name}'s" if name else "the"
        return (f"The date of the decision must be on or after {_long(submitted_on)}, when "
                f"{whose} self-assessment was submitted")
    return None


class _DecisionForm(_GovForm):
    """A decision's form: its date first (default the clock's today), then what it decides."""

    decided_on = decision_date_field()

    def __init__(self, *args, submitted_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitted_on = submitted_on
        self.today = clock.today()
        self.initial.setdefault("decided_on", self.today)

    def clean_decided_on(self):
        on = self.cleaned_data["decided_on"] or self.today
        if problem := decision_date_problem(on, today=self.today, submitted_on=self.submitted_on):
            raise ValidationError(problem)
        return on

    def helper_for(self, *layout, submit_label: str | None = None) -> FormHelper:
        return super().helper_for(decision_date_layout(), *layout, submit_label=submit_label)


class _RequirementFieldsForm(_DecisionForm):
    """One group of fields per requirement of the cycle."""

    def __init__(self, *args, requirements: list[Requirement], **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = requirements


class _ConcernsForm(_RequirementFieldsForm):
    """Areas of concern, at most one per requirement: the concern, the action required and by
    when. A requirement left blank has no concern."""

    min_concerns = 1
    summary = forms.CharField(
        label="Anything else for the decision letter (optional)", required=False,
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LIMIT,
        error_messages={"max_length": f"The note must be {TEXT_LIMIT} characters or fewer"},
    )
    version = _version_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = []
        for r in self.requirements:
            self.fields[f"concern_{r.pk}"] = forms.CharField(
                label="Concern", required=False, max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"max_length": f"The concern must be {TEXT_LIMIT} characters or fewer"},
            )
            self.fields[f"action_{r.pk}"] = forms.CharField(
                label="Action required", required=False, max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"max_length": f"The action must be {TEXT_LIMIT} characters or fewer"},
            )
            self.fields[f"due_{r.pk}"] = DateField(
                what=f"the date the action on {r.code} is due by", label="By when (optional)",
                required=False, require_all_fields=False,
            )
            groups.append(Fieldset(
                Field.textarea(f"concern_{r.pk}"), Field.textarea(f"action_{r.pk}"),
                Field(f"due_{r.pk}"), legend=format_html("{} {}", r.code, r.title),
                legend_size=Size.SMALL,
            ))
        self.concern_layout = groups

    def clean(self):
        data = super().clean()
        concerns = []
        today = clock.today()
        for r in self.requirements:
            concern = data.get(f"concern_{r.pk}", "").strip()
            action = data.get(f"action_{r.pk}", "").strip()
            due = data.get(f"due_{r.pk}")
            if not (concern or action or due):
                continue
            if not concern:
                self.add_error(f"concern_{r.pk}", f"Enter the concern about {r.code}")
            if not action:
                self.add_error(f"action_{r.pk}", f"Enter the action required on {r.code}")
            if due and due < today:
                self.add_error(f"due_{r.pk}", f"The date the action on {r.code} is due by must be "
                                              "today or in the future")
            if concern and action:
                concerns.append(Concern(requirement=r, concern=concern, action_required=action,
                                        due_by=due))
        concern_errors = any(k.startswith(("concern_", "action_", "due_")) for k in self.errors)
        if len(concerns) < self.min_concerns and not concern_errors and self.requirements:
            self.add_error(f"concern_{self.requirements[0].pk}",
                           "Enter at least one area of concern, with the action required")
        data["concerns"] = concerns
        return data


class AccreditForm(_DecisionForm):
    summary = _ConcernsForm.base_fields["summary"]
    version = _version_field()

    def __init__(self, *args, requirements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.helper_for(Field.textarea("summary"))

    def clean(self):
        data = super().clean()
        data["concerns"] = []
        return data


class AccreditWithConcernsForm(_ConcernsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.helper_for(*self.concern_layout, Field.textarea("summary"))


class DeferForm(_ConcernsForm):
    review_date = DateField(what="the review date", label="Review date",
                            help_text="The Government Office reviews the partnership again on or "
                                      "after this date. For example, 28 3 2002")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = self.helper_for(
            Fieldset(Field("review_date"), legend="When will you review it again?",
                     legend_size=Size.MEDIUM),
            HTML('<h2 class="govuk-heading-m">Areas of concern</h2>'
                 '<p class="govuk-body">Give at least one. Leave a requirement blank if you have '
                 'no concern about it.</p>'),
            *self.concern_layout, Field.textarea("summary"),
        )

    def clean_review_date(self):
        review_date = self.cleaned_data["review_date"]
        if review_date and review_date <= clock.today():
            raise ValidationError("The review date must be in the future")
        return review_date


class ReturnForm(_RequirementFieldsForm):
    summary = _ConcernsForm.base_fields["summary"]
    version = _version_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for r in self.requirements:
            self.fields[f"reason_{r.pk}"] = forms.CharField(
                label=format_html("{} {}", r.code, r.title), required=False, max_length=TEXT_LIMIT,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="What the partnership needs to change. Leave blank if nothing.",
                error_messages={"max_length": f"The reason must be {TEXT_LIMIT} characters or fewer"},
            )
        self.helper = self.helper_for(
            *[Field.textarea(f"reason_{r.pk}", label_size=Size.SMALL) for r in self.requirements],
            Field.textarea("summary"),
        )

    def clean(self):
        data = super().clean()
        reasons = {r.pk: data.get(f"reason_{r.pk}", "").strip() for r in self.requirements}
        reasons = {pk: text for pk, text in reasons.items() if text}
        if not reasons and self.requirements and not self.errors:
            self.add_error(f"reason_{self.requirements[0].pk}",
                           "Give a reason against at least one requirement")
        data["reasons"] = reasons
        return data


class BulkSelectForm(forms.Form):
    assessments = forms.MultipleChoiceField(
        label="Select the assessments to accredit", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one assessment to accredit",
                        "invalid_choice": "An assessment you selected can no longer be accredited "
                                          "in bulk: check the list and select again"},
    )

    decided_on = decision_date_field()

    def __init__(self, *args, eligible, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible = {str(a.pk): a for a in eligible}
        self.fields["assessments"].choices = [
            (str(a.pk), f"{a.partnership.name} ({a.cycle.name})") for a in eligible
        ]
        self.fields["decided_on"].help_text = (
            "One date for every decision in the batch: today, or an earlier day after each "
            "selected self-assessment was submitted. For example, 28 3 2002")
        self.today = clock.today()
        self.initial.setdefault("decided_on", self.today)
        # The page's own <form> carries each assessment's version beside the checkboxes.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.checkboxes("assessments", legend_size=Size.MEDIUM),
                                    decision_date_layout(),
                                    Button("submit", "Continue"))

    def clean_decided_on(self):
        return self.cleaned_data["decided_on"] or self.today

    def clean(self):
        data = super().clean()
        on = data.get("decided_on")
        if on:
            chosen = [self.eligible[pk] for pk in data.get("assessments", [])
                      if pk in self.eligible and self.eligible[pk].submitted_at]
            latest = max(chosen, key=lambda a: a.submitted_at, default=None)
            problem = decision_date_problem(
                on, today=self.today, name=latest.partnership.name if latest else "",
                submitted_on=(timezone.localdate(latest.submitted_at)
                              if latest and latest.submitted_at else None))
            if problem:
                self.add_error("decided_on", problem)
        return data
