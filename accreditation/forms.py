"""Forms for the partnership's self-assessment pages. They check what was typed and say what
is wrong in GOV.UK style; the services decide what is allowed and save it."""

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.utils.html import format_html

from . import evidence
from .models import Rating
from .services.drafting import CASE_WORD_LIMIT, NOTE_WORD_LIMIT, TEXT_CHARACTER_LIMIT, word_count

# What each self-rating means, spelled out beside the choice (the colour alone says nothing).
RATING_MEANINGS = {
    Rating.RED: "The partnership does not meet this requirement yet, and needs substantial work "
                "or support from the Government Office to do so.",
    Rating.AMBER: "The partnership meets part of this requirement. It knows what is missing and "
                  "has a plan, with dates, to put it right.",
    Rating.GREEN: "The partnership meets this requirement in full and can show the evidence.",
}


def _words_checked(text: str, *, label: str, words: int) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_CHARACTER_LIMIT:
        raise forms.ValidationError(f"{label} must be {TEXT_CHARACTER_LIMIT:,} characters or fewer")
    count = word_count(text)
    if count > words:
        raise forms.ValidationError(f"{label} must be {words} words or fewer (it is {count} words)")
    return text


STALE_PAGE = "This page is out of date: reload it, check what is saved, and try again"


class _VersionedForm(forms.Form):
    """A hidden `version` the person cannot fix themselves: a bad one is a page-level error
    (shown in the error summary), not a message on an invisible field."""

    def clean(self):
        cleaned = super().clean()
        stale = False
        for hidden in ("version", "decision"):
            if hidden in self.errors:
                del self.errors[hidden]
                stale = True
        if stale:
            self.add_error(None, STALE_PAGE)
        return cleaned


class ResponseForm(_VersionedForm):
    """One requirement: the self-rating, the case, and (on the requirement about inclusiveness,
    when key sectors are missing) how the partnership is addressing the gap; plus a file."""

    self_rating = forms.ChoiceField(
        label="How well does the partnership meet this requirement?",
        choices=[Choice(value, label, hint=RATING_MEANINGS[value])
                 for value, label in Rating.choices],
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select red, amber or green"},
    )
    case = forms.CharField(
        label="Your case",
        help_text="Say how the partnership meets the requirement and what shows it. You can "
                  "save an unfinished case and come back to it.",
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true"}),
        required=False,
        strip=False,
    )
    inclusiveness_note = forms.CharField(
        label="How are you addressing this?",
        help_text="For example, organisations you have invited or how you involve these sectors "
                  "in the meantime.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        strip=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    evidence = forms.FileField(
        label="Upload a file",
        help_text=f"The file must be {evidence.ALLOWED_DESCRIPTION}, 10 MB or smaller. All the "
                  "files of a self-assessment can add up to 50 MB.",
        required=False,
        allow_empty_file=True,  # the service says "The selected file is empty" in its own words
        widget=forms.ClearableFileInput(attrs={"accept": evidence.ACCEPT}),
    )

    def __init__(self, *args, ask_inclusiveness: bool = False, editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.ask_inclusiveness = ask_inclusiveness
        if not ask_inclusiveness:
            del self.fields["inclusiveness_note"]
        self.fields["evidence"].widget.attrs["class"] = "govuk-file-upload"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        layout = [
            Field.radios("self_rating", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("case", label_size=Size.MEDIUM, label_tag="h2",
                           max_words=CASE_WORD_LIMIT),
        ]
        if ask_inclusiveness:
            layout.append(Field.textarea("inclusiveness_note", label_size=Size.SMALL,
                                         max_words=NOTE_WORD_LIMIT))
        layout.append("version")
        self.helper.layout = Layout(*layout)
        if not editable:
            for field in self.fields.values():
                field.disabled = True

    def clean_case(self):
        return _words_checked(self.cleaned_data.get("case"), label="Your case",
                              words=CASE_WORD_LIMIT)

    def clean_inclusiveness_note(self):
        return _words_checked(self.cleaned_data.get("inclusiveness_note"),
                              label="How you are addressing the missing sectors",
                              words=NOTE_WORD_LIMIT)


class ConcernProgressForm(forms.Form):
    """One text box per area of concern carried from the previous cycle."""

    def __init__(self, *args, items, **kwargs):
        """`items`: (ConcernProgress, token) pairs, in order."""
        super().__init__(*args, **kwargs)
        self.items = []
        layout = []
        for progress, token in items:
            concern = progress.concern
            name = f"progress_{progress.pk}"
            # crispy-forms-gds prints labels and hints as they are (|safe): the requirement's
            # title and the reviewer's words are escaped here.
            self.fields[name] = forms.CharField(
                label=format_html("Your progress on {} {}", concern.requirement.code,
                                  concern.requirement.title),
                help_text=format_html(
                    "The concern: {} The action asked for: {}{}", concern.concern,
                    concern.action_required,
                    f" (by {concern.due_by:%-d %B %Y})" if concern.due_by else "",
                ),
                required=False, strip=False, initial=progress.progress,
                widget=forms.Textarea(attrs={"rows": 5}),
            )
            self.fields[f"token_{progress.pk}"] = forms.CharField(
                widget=forms.HiddenInput, initial=token)
            self.items.append((progress, name))
            layout.append(Field.textarea(name, label_size=Size.SMALL, max_words=NOTE_WORD_LIMIT))
            layout.append(f"token_{progress.pk}")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*layout)

    def clean(self):
        cleaned = super().clean()
        for _, name in self.items:
            try:
                cleaned[name] = _words_checked(cleaned.get(name), label="Your progress report",
                                               words=NOTE_WORD_LIMIT)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return cleaned


class SignOffRequestForm(_VersionedForm):
    """The officer, on the check-your-answers page, asks the chair to sign off."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SignOffForm(_VersionedForm):
    """The chair's declaration: for a self-assessment, and in the same words for a response to
    a deferral (`what`)."""

    confirm = forms.BooleanField()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, what: str = "self-assessment", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = (
            f"I confirm that, as chair, I have read this {what} and that it is a true account of "
            "the partnership, agreed by its members")
        self.fields["confirm"].error_messages["required"] = (
            f"Confirm that you have read the {what} and agree it is a true account of the "
            "partnership")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.checkbox("confirm"), *self._hidden())

    def _hidden(self):
        return ["version"]


# --- The response to a deferral ------------------------------------------------------------------


def _decision_field():
    """The deferral the page was made from: a page made before the round was decided is stale."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DeferralSignOffForm(SignOffForm):
    """The chair signs off the response to a deferral: the submission's declaration."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    decision = _decision_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, what="response", **kwargs)

    def _hidden(self):
        return ["version", "decision"]


class DeferralSignOffRequestForm(_VersionedForm):
    """An officer has checked the response and asks the chair to sign it off."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    decision = _decision_field()


class DeferralProgressForm(_VersionedForm):
    """The progress made on one area of concern, and a file to attach to it."""

    progress = forms.CharField(
        label="What progress has the partnership made?",
        help_text="Say what the partnership has done about the concern and the action asked for, "
                  "and what shows it. You can save unfinished text and come back to it.",
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true"}),
        required=False, strip=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    decision = _decision_field()
    evidence = forms.FileField(
        label="Upload a file",
        help_text=f"The file must be {evidence.ALLOWED_DESCRIPTION}, 10 MB or smaller. All the "
                  "files of a self-assessment can add up to 50 MB.",
        required=False, allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": evidence.ACCEPT}),
    )

    def __init__(self, *args, word_limit: int, editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.word_limit = word_limit
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.textarea("progress", label_size=Size.MEDIUM, label_tag="h2",
                           max_words=word_limit),
            "version", "decision",
        )
        if not editable:
            for f in self.fields.values():
                f.disabled = True

    def clean_progress(self):
        return _words_checked(self.cleaned_data.get("progress"), label="The progress made",
                              words=self.word_limit)


class DeferralAnswerForm(_VersionedForm):
    """An answer the Government Office rated red or amber, changed for the response."""

    self_rating = ResponseForm.base_fields["self_rating"]
    case = ResponseForm.base_fields["case"]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = _decision_field()

    def __init__(self, *args, editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.radios("self_rating", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("case", label_size=Size.MEDIUM, label_tag="h2",
                           max_words=CASE_WORD_LIMIT),
            "version", "decision",
        )
        if not editable:
            for f in self.fields.values():
                f.disabled = True

    def clean_case(self):
        return _words_checked(self.cleaned_data.get("case"), label="Your case",
                              words=CASE_WORD_LIMIT)
