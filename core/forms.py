from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class SignInForm(AuthenticationForm):
    """Email and password. A failed sign-in is reported on the email field (so the error summary
    links somewhere useful) without saying which of the two was wrong."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "Email address or password is not correct",
        "inactive": "Your account has been closed. Ask an NRU administrator if you still need access",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("username"),
            Field.text("password", field_width=20),
            Button.primary("sign-in", "Sign in"),
        )

    def clean_username(self):
        # Users are stored with lower-case addresses; people type them any way they like.
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            self.add_error("username", error)
            return self.cleaned_data


class GovukDateField(DateInputField):
    """The GOV.UK date input (day, month, year) with messages a person can act on."""

    def __init__(self, *, what: str, **kwargs):
        super().__init__(**kwargs)
        self.what = what
        self.error_messages["required"] = f"Enter {what}"
        self.error_messages["incomplete"] = f"{what[0].upper()}{what[1:]} must include a day, month and year"

    def compress(self, data_list):
        parts = list(data_list) if data_list else [None, None, None]
        missing = [part in self.empty_values for part in parts]
        if all(missing):
            return None
        if any(missing):
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        day, month, year = parts
        try:
            if len(str(year)) != 4:
                raise ValueError
            return date(day=int(day), month=int(month), year=int(year))
        except (ValueError, OverflowError, TypeError):  # 0, 31 2, 99999999999999999999
            raise ValidationError(
                f"{self.what[0].upper()}{self.what[1:]} must be a real date, like 28 3 2002"
            ) from None
