"""Forms for the partnership's membership pages."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms

from .models import Member, Sector


class MemberForm(forms.Form):
    organisation = forms.CharField(
        label="Organisation", max_length=200,
        error_messages={"required": "Enter the name of the organisation",
                        "max_length": "The organisation's name must be 200 characters or fewer"},
    )
    representative = forms.CharField(
        label="Representative (optional)", help_text="The person who sits on the partnership.",
        max_length=150, required=False,
        error_messages={"max_length": "The representative's name must be 150 characters or fewer"},
    )
    sector = forms.ChoiceField(
        label="Sector", choices=Sector.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the organisation's sector",
                        "invalid_choice": "Select the organisation's sector"},
    )
    role = forms.ChoiceField(
        label="Does this organisation chair the partnership?",
        choices=[(Member.Role.MEMBER, "No, it is a member"), (Member.Role.CHAIR, "Yes, it chairs it")],
        widget=forms.RadioSelect, initial=Member.Role.MEMBER,
        error_messages={"required": "Select whether the organisation chairs the partnership",
                        "invalid_choice": "Select whether the organisation chairs the partnership"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("organisation"),
            Field.text("representative", field_width=20),
            Field.radios("sector", legend_size=Size.SMALL),
            Field.radios("role", legend_size=Size.SMALL, inline=True),
        )
