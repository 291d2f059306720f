"""GOV.UK forms for targets and progress returns. Forms parse what was typed (numbers, years,
choices) and say plainly what is wrong with it; the rules about the values themselves (ranges,
years inside the target's span, a commentary when off track) are the services' and come back
as field errors through `add_problems`."""

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size
from django import forms
from django.utils.html import format_html

from . import rules
from .models import Kind, Target, Theme, Unit
from .services import COMMENTARY_MAX, INDICATOR_MAX, LEAD_PARTNER_MAX, TITLE_MAX, TargetInput

FLOOR_PREFIX = "floor-"


class ValueField(forms.DecimalField):
    """A Decimal as people type it: '1,250.5' and ' 12 ' are fine; never a float."""

    def __init__(self, *, what: str, **kwargs):
        super().__init__(
            max_digits=14, decimal_places=2,
            error_messages={
                "required": f"Enter the {what}",
                "invalid": f"Enter the {what} as a number, like 12 or 12.5",
                "max_decimal_places": f"The {what} must have no more than 2 decimal places",
                "max_digits": f"The {what} must be less than 1,000,000,000,000",
                "max_whole_digits": f"The {what} must be less than 1,000,000,000,000",
            },
            widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class YearField(forms.IntegerField):
    def __init__(self, *, what: str, **kwargs):
        super().__init__(
            error_messages={"required": f"Enter the {what}",
                            "invalid": f"Enter the {what} as a 4-digit year, like 2001"},
            widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
            **kwargs,
        )


def add_problems(form: forms.Form, problems) -> None:
    """Put a service's problems on the form's fields (or on the form, for other fields)."""
    for problem in problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _kind_choices(floor_targets) -> list[Choice]:
    choices = [
        Choice(f"{FLOOR_PREFIX}{f.pk}", f.wording,
               hint=f"{f.get_theme_display()}: {f.department}, {f.spending_review}.")
        for f in floor_targets
    ]
    if choices:
        choices[-1].divider = "or"
    choices += [
        Choice(Kind.LOCAL, "A local target", hint="Set by the partnership for its own area."),
        Choice(Kind.LPSA, "A Local Public Service Agreement (PSA) stretch target",
               hint="Agreed with government, with reward grant if it is met."),
    ]
    return choices


class TargetForm(forms.Form):
    kind = forms.ChoiceField(
        label="Which target is it?",
        help_text="Select the national floor target it meets, or say that it is a local one.",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which target this is",
                        "invalid_choice": "Select which target this is"},
    )
    theme = forms.ChoiceField(
        label="Theme", choices=Theme.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the theme of the target",
                        "invalid_choice": "Select the theme of the target"},
    )
    title = forms.CharField(
        label="Title", max_length=TITLE_MAX,
        help_text="A short name the partnership uses for it, for example "
                  "‘Fewer burglaries in the Blakenall estates’.",
        error_messages={"required": "Enter the title of the target",
                        "max_length": f"The title of the target must be {TITLE_MAX} characters or fewer"},
    )
    indicator = forms.CharField(
        label="Indicator", max_length=INDICATOR_MAX,
        help_text="What is measured, and how, for example ‘Domestic burglaries per 1,000 households "
                  "(police recorded crime)’.",
        error_messages={"required": "Enter the indicator",
                        "max_length": f"The indicator must be {INDICATOR_MAX} characters or fewer"},
    )
    unit = forms.ChoiceField(
        label="Unit", choices=Unit.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the unit the indicator is measured in",
                        "invalid_choice": "Select the unit the indicator is measured in"},
    )
    baseline_value = ValueField(what="baseline value", label="Value")
    baseline_year = YearField(
        what="baseline year", label="Year",
        help_text="The year the financial year starts in: 2001 for 2001/02.",
    )
    target_value = ValueField(what="target value", label="Value")
    target_year = YearField(
        what="target year", label="Year",
        help_text="The year the financial year starts in: 2005 for 2005/06.",
    )
    lead_partner = forms.CharField(
        label="Lead partner organisation", max_length=LEAD_PARTNER_MAX,
        help_text="The partner that leads on this target, for example the primary care trust.",
        error_messages={"required": "Enter the lead partner organisation",
                        "max_length": "The lead partner organisation must be "
                                      f"{LEAD_PARTNER_MAX} characters or fewer"},
    )

    def __init__(self, *args, floor_targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.floor_targets = {f.pk: f for f in floor_targets}
        self.fields["kind"].choices = _kind_choices(floor_targets)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.radios("kind", legend_size=Size.MEDIUM),
            Field.radios("theme", legend_size=Size.MEDIUM, small=True),
            Field.text("title", label_size=Size.SMALL),
            Field.text("indicator", label_size=Size.SMALL),
            Field.radios("unit", legend_size=Size.SMALL, small=True),
            Fieldset(Field.text("baseline_value", field_width=10),
                     Field.text("baseline_year", field_width=4),
                     legend="Baseline", legend_size=Size.MEDIUM),
            Fieldset(Field.text("target_value", field_width=10),
                     Field.text("target_year", field_width=4),
                     legend="Target", legend_size=Size.MEDIUM),
            Field.text("lead_partner", label_size=Size.SMALL),
        )

    @staticmethod
    def initial_for(target: Target) -> dict:
        kind = f"{FLOOR_PREFIX}{target.floor_target_id}" if target.kind == Kind.FLOOR else target.kind
        return {"kind": kind, "theme": target.theme, "title": target.title,
                "indicator": target.indicator, "unit": target.unit,
                "baseline_value": target.baseline_value, "baseline_year": target.baseline_year,
                "target_value": target.target_value, "target_year": target.target_year,
                "lead_partner": target.lead_partner}

    def target_input(self) -> TargetInput:
        data = self.cleaned_data
        kind, floor = data["kind"], None
        if kind.startswith(FLOOR_PREFIX):
            floor = self.floor_targets.get(int(kind.removeprefix(FLOOR_PREFIX)))
            kind = Kind.FLOOR
        return TargetInput(
            theme=data["theme"], kind=kind, floor_target=floor, title=data["title"],
            indicator=data["indicator"], unit=data["unit"],
            baseline_value=data["baseline_value"], baseline_year=data["baseline_year"],
            target_value=data["target_value"], target_year=data["target_year"],
            lead_partner=data["lead_partner"],
        )


class ReturnForm(forms.Form):
    """A progress return. `years` are the years offered (adding); None when the year is fixed
    (changing a return)."""

    year = forms.TypedChoiceField(coerce=int, label="Which financial year is the return for?",
                                  widget=forms.RadioSelect)
    actual = ValueField(what="actual value", label="Actual value in the year")
    commentary = forms.CharField(
        label="Commentary", required=False, max_length=COMMENTARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happened in the year. If the target is at risk or off track, say why and "
                  "what the partnership is doing about it.",
        error_messages={"max_length": f"The commentary must be {COMMENTARY_MAX} characters or fewer"},
    )

    def __init__(self, *args, target: Target, years: list[int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        unit = target.get_unit_display()
        # crispy-forms-gds prints a hint as it is (|safe): the officer's indicator is escaped here.
        self.fields["actual"].help_text = format_html("{}. Unit: {}.", target.indicator,
                                                      f"{unit[0].lower()}{unit[1:]}")
        layout = []
        if years is None:
            del self.fields["year"]
        else:
            first, last = rules.year_label(target.baseline_year + 1), rules.year_label(target.target_year)
            message = f"Select a financial year from {first} to {last} that has no return yet"  # noqa: S608
            self.fields["year"].choices = [(y, rules.year_label(y)) for y in years]
            self.fields["year"].error_messages = {"required": "Select the financial year of the return",
                                                  "invalid_choice": message}
            layout.append(Field.radios("year", legend_size=Size.SMALL, small=True))
        layout += [Field.text("actual", label_size=Size.SMALL, field_width=10),
                   Field.textarea("commentary", label_size=Size.SMALL, max_characters=COMMENTARY_MAX)]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*layout)


class NationalFilterForm(forms.Form):
    theme = forms.ChoiceField(
        label="Theme", required=False, choices=[("", "All themes"), *Theme.choices],
        error_messages={"invalid_choice": "Select a theme from the list"},
    )
    as_at = forms.TypedChoiceField(
        label="Progress as at", required=False, coerce=int, empty_value=None,
        error_messages={"invalid_choice": "Select a financial year from the list"},
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_at"].choices = [("", "Latest return"),
                                        *((y, rules.year_label(y)) for y in years)]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.select("theme"), Field.select("as_at"))
