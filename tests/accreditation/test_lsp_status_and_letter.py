"""What the partnership sees around sign-off and the letter: a draft handed to the chair says it
is waiting for sign-off; a requirement's page posts to itself without a fragment (so the next
page opens at its top); the letter is offered to view and to download, states each amount once
and reads back from its PDF without stray characters."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accreditation.letters import letter_pdf
from accreditation.models import SelfAssessment
from accreditation.services.drafting import assessment_sign_off_request
from tests.accreditation.test_lsp_views import World, deferred, url  # noqa: F401 (a fixture)
from tests.accreditation.test_review_letters import _defer, walsall  # noqa: F401 (a fixture)
from tests.factories import assessment_fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def _status(page: str) -> str:
    match = re.search(r'id="assessment-status"[^>]*>(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Status:", "").strip()


def _cycle_status(page: str) -> str:
    row = re.search(r'<table class="govuk-table" id="cycles-.*?</table>', page, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))


def test_a_draft_waiting_for_the_chair_says_so_not_draft(world):
    tasks = url("assessment-tasks", world.assessment.pk)
    assert _status(world.client("officer").get(tasks).content.decode()) == "Draft"
    assessment_fill(world.assessment)
    assessment_sign_off_request(assessment=SelfAssessment.objects.get(pk=world.assessment.pk),
                                by=world.officer)

    for who in ("officer", "chair"):
        assert _status(world.client(who).get(tasks).content.decode()) == "Waiting for sign-off"
        home = _cycle_status(world.client(who).get(url("home")).content.decode())
        assert "Waiting for sign-off" in home and " Draft " not in home


def test_the_requirement_form_posts_to_its_page_without_a_fragment(world):
    page = world.client("officer").get(url("response-edit", world.assessment.pk, "R1"))
    form = re.search(r'<form [^>]*id="response-form"[^>]*>', page.content.decode()).group(0)
    assert f'action="{url("response-edit", world.assessment.pk, "R1")}"' in form


def test_the_decision_offers_the_letter_to_view_and_to_download(deferred):  # noqa: F811
    assessment, client = deferred
    decision = assessment.decisions.get()
    pdf = reverse("review:decision-letter-pdf", args=[decision.pk])

    page = client.get(url("assessment-decision", assessment.pk)).content.decode()
    assert f'href="{url("decision-letter", assessment.pk, decision.pk)}">View the decision letter' in page
    assert f'href="{pdf}?download=1" download>Download the decision letter (PDF)' in page
    letter = client.get(url("decision-letter", assessment.pk, decision.pk)).content.decode()
    assert f'href="{pdf}">View the letter as a PDF' in letter
    assert f'href="{pdf}?download=1" download>Download the letter (PDF)' in letter

    viewed, downloaded = client.get(pdf), client.get(pdf, {"download": "1"})
    assert viewed["Content-Disposition"].startswith("inline; filename=")
    assert downloaded["Content-Disposition"].startswith("attachment; filename=")
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded.content == viewed.content


def test_the_letter_states_each_amount_once_and_reads_back_cleanly(walsall):  # noqa: F811
    assessment, reviewer, _ = walsall
    decision = _defer(assessment, reviewer)
    amounts = ["£2,566,100", "£3,830,000.01", "£1,263,900.01"]  # released, allocation, held
    for amount in amounts:
        assert decision.letter.count(amount) == 1, amount

    text = "\n".join(page.extract_text() for page in
                     PdfReader(io.BytesIO(letter_pdf(decision))).pages)
    flat = " ".join(text.split())
    assert ("Walsall will receive £2,566,100 of its £3,830,000.01 2002/03 NRF allocation (67%) "
            "until a successful review; the other £1,263,900.01 is held.") in flat
    for amount in amounts:
        assert flat.count(amount) == 1, amount
    lines = [line.strip() for line in text.splitlines()]
    # No list marker left on a line of its own, and nothing outside ordinary letter text.
    assert all(line not in {"•", "-", "*"} for line in lines), lines
    stray = {c for c in text if not (c.isalnum() or c in " \n.,:;'’()£%/&-•\u00a0")}
    assert not stray, stray
    assert re.search(r"^•\s+R1 ", text, re.M), text


def test_a_fully_released_allocation_is_stated_once(walsall):  # noqa: F811
    from accreditation.letters import funding_effects
    from accreditation.models import FundingState

    assessment, _, _ = walsall
    (effect,) = funding_effects(assessment=assessment, funding_state=FundingState.ACCREDITED)
    assert effect.statement(FundingState.ACCREDITED) == (
        "Walsall will receive all of its £3,830,000.01 2002/03 NRF allocation (100%) now that it "
        "is accredited.")
