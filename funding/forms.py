from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms

from core.money import percentage
from partnerships.models import Partnership

HUNDRED = Decimal(100)


def percent_field(what: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"Percentage {what}",
        required=required,
        min_value=Decimal(0),
        max_value=HUNDRED,
        max_digits=5,
        decimal_places=2,
        error_messages={
            "required": f"Enter the percentage {what}",
            "invalid": f"The percentage {what} must be a number, like 67 or 67.5",
            "min_value": f"The percentage {what} must be 0 or more",
            "max_value": f"The percentage {what} must be 100 or less",
            "max_decimal_places": f"The percentage {what} can have at most 2 decimal places",
            "max_digits": f"The percentage {what} must be 100 or less",
            "max_whole_digits": f"The percentage {what} must be 100 or less",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
    )


def as_fraction(percent: Decimal | None) -> Decimal | None:
    return None if percent is None else (percent / HUNDRED).quantize(Decimal("0.0001"))


#: What a policy's form shows for a stored fraction (0.6700 -> 67).
as_percent = percentage


REASON_HELP = ("Recorded with your name, and shown beside the money it moves in each affected "
               "partnership's funding timeline.")


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label="Why are you making this change?",
        help_text=REASON_HELP,
        max_length=2000,
        error_messages={"required": "Enter the reason for the change"},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReleasePolicyForm(forms.Form):
    """The three shares of a release policy, as percentages, and the reason for changing them."""

    accredited = percent_field("released once accredited")
    deferred = percent_field("released while deferred")
    undecided = percent_field("released before a decision")
    reason = _reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field.text("accredited", field_width=4),
                Field.text("deferred", field_width=4),
                Field.text("undecided", field_width=4),
                legend="Share of each allocation released (%)",
                legend_size=Size.MEDIUM,
            ),
            Field.textarea("reason", rows=4),
            Button.primary("continue", "Continue"),
        )

    def fractions(self) -> dict[str, Decimal]:
        return {
            f"fraction_{name}": as_fraction(self.cleaned_data[name])
            for name in ("accredited", "deferred", "undecided")
        }


class ReleaseOverrideForm(forms.Form):
    """A named partnership's own share under a policy (for example 90% when 10% is withheld);
    empty to remove it."""

    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.none(),
        label="Partnership",
        empty_label="Choose a partnership",
        error_messages={"required": "Choose a partnership",
                        "invalid_choice": "Choose a partnership from the list"},
    )
    percent = percent_field("released to this partnership", required=False)
    reason = _reason_field()

    def __init__(self, *args, partnerships=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partnerships is not None:
            self.fields["partnership"].queryset = partnerships
        self.fields["percent"].help_text = (
            "Whatever its accreditation state. For example, 90 to withhold 10%. Leave empty to "
            "remove the partnership's own share and apply the policy again."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("partnership"),
            Field.text("percent", field_width=4),
            Field.textarea("reason", rows=4),
            Button.primary("continue", "Continue"),
        )
