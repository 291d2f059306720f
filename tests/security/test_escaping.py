"""Labels, hints and legends built from stored text are escaped: crispy-forms-gds prints them
as they are (|safe), so the forms must escape what they put there. These are the three places
the assessment found (tests/security/test_stored_markup.py sweeps every page for the rest)."""

from html import unescape

import pytest
from crispy_forms.utils import render_crispy_form

from accreditation.forms import ConcernProgressForm
from accreditation.models import AreaOfConcern, ConcernProgress, Requirement
from accreditation.review_forms import AccreditWithConcernsForm
from accreditation.review_forms import ReturnForm as ReviewReturnForm
from performance.forms import ReturnForm as ProgressReturnForm
from performance.models import Target, Unit

from .markup import markup_in, payload

TEXT = payload(1)


def _requirement(pk: int = 1) -> Requirement:
    return Requirement(pk=pk, code="R1", title=TEXT)


def _concern_progress_form():
    concern = AreaOfConcern(requirement=_requirement(), concern=TEXT, action_required=TEXT)
    return ConcernProgressForm(items=[(ConcernProgress(pk=1, concern=concern), "token")])


def _progress_return_form():
    return ProgressReturnForm(target=Target(indicator=TEXT, unit=Unit.PERCENT), years=None)


def _review_return_form():
    return ReviewReturnForm(requirements=[_requirement()])


def _concerns_form():
    return AccreditWithConcernsForm(requirements=[_requirement()])


@pytest.mark.parametrize("make", [_concern_progress_form, _progress_return_form,
                                  _review_return_form, _concerns_form],
                         ids=["concern-progress hint and label", "progress-return hint",
                              "review return label", "concerns legend"])
def test_stored_text_in_labels_and_hints_is_escaped(make):
    html = render_crispy_form(make())
    found = markup_in(html)
    assert not found, f"markup in the rendered form: {found}"
    assert TEXT in unescape(html), "the text itself is shown, as text"
