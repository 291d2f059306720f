"""Forms of the NRU dashboard: the table's filters (a GET form) and the allocation upload."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from core.models import Provenance

from . import dashboard
from .import_rows import ALLOWED_EXTENSIONS, MAX_UPLOAD_BYTES

ORDER_CHOICES = [("asc", "Ascending"), ("desc", "Descending")]


class DashboardFilterForm(forms.Form):
    """Which fund and year, which rows and in what order. Every field is optional; a value that
    is not one of the choices is reported and that filter is left out."""

    fund = forms.ChoiceField(label="Fund", required=False,
                             error_messages={"invalid_choice": "Select a fund from the list"})
    year = forms.ChoiceField(label="Financial year", required=False,
                             error_messages={"invalid_choice": "Select a financial year from the list"})
    region = forms.ChoiceField(label="Region", required=False,
                               error_messages={"invalid_choice": "Select a region from the list"})
    status = forms.ChoiceField(
        label="Accreditation status", required=False,
        choices=[("", "Any status"), *dashboard.STATUS_CHOICES],
        error_messages={"invalid_choice": "Select an accreditation status from the list"},
    )
    provenance = forms.ChoiceField(
        label="Provenance of the figure", required=False,
        choices=[("", "Any provenance"), *Provenance.choices],
        error_messages={"invalid_choice": "Select a provenance from the list"},
    )
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in dashboard.SORT_FIELDS],
        error_messages={"invalid_choice": "The table cannot be sorted by that column"},
        widget=forms.HiddenInput,
    )
    order = forms.ChoiceField(
        required=False, choices=ORDER_CHOICES,
        error_messages={"invalid_choice": "The sort order must be ascending or descending"},
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, funds, years, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = [(f.code, f"{f.code} – {f.name}") for f in funds]
        self.fields["year"].choices = [(y.label, y.label) for y in years]
        if years:  # the chosen fund's years with figures (reporting/dashboard_choices.py)
            labels = ", ".join(y.label for y in years)
            self.fields["year"].error_messages["invalid_choice"] = (
                f"Select a financial year from the list: the fund has figures for {labels}"  # noqa: S608 (not SQL)
            )
        self.fields["region"].choices = [("", "All regions"), *((r.slug, r.name) for r in regions)]
    def full_clean(self):
        super().full_clean()
        # Sort and order are hidden: report their errors above the form, not beside a field.
        for name in ("sort", "order"):
            for error in self._errors.pop(name, []):
                self._errors.setdefault(NON_FIELD_ERRORS, self.error_class(error_class="nonfield"))
                self._errors[NON_FIELD_ERRORS].append(error)

    def value(self, name: str, default: str = "") -> str:
        """The field's valid value, or `default` when it was left empty or is not valid."""
        if not self.is_bound or name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


class AllocationUploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV or XLSX file with the columns authority (name or GSS code), fund, year "
                  "(like 2002/03), amount (in pounds, pence allowed) and source (a source key).",
        error_messages={"required": "Select a CSV or XLSX file",
                        "empty": "The selected file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("file"), Button.primary("preview", "Preview changes"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError("The selected file must be a CSV or XLSX file")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        return upload
