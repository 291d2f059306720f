"""Answers carried forward from last year's self-assessment: "Check again", not "Completed", until
an officer confirms one unchanged (accreditation.services.checking) or edits it; the count of
completed tasks follows."""

import re

import pytest

from accreditation.models import AssessmentChange, RequirementResponse, SelfAssessment
from accreditation.services.checking import response_confirm
from accreditation.services.drafting import assessment_start, assessment_submit, response_save
from accreditation.services.transitions import ConflictError
from core.errors import ApplicationError
from tests.accreditation.test_lsp_views import World, url
from tests.factories import CycleFactory, assessment_fill
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db


class Carried(World):
    """Last year's answers filled in (three requirements), and this year's started from them."""

    def __init__(self):
        super().__init__()
        assessment_fill(self.assessment)
        self.last_year = self.assessment
        self.assessment = assessment_start(partnership=self.partnership,
                                           cycle=CycleFactory(year_start=2003), by=self.officer)


@pytest.fixture
def carried():
    """Built once per test process and restored per test (tests/row_snapshot.py)."""
    return restored(Carried)


def _status(page: str, slug: str) -> str:
    match = re.search(rf'id="task-{slug}-status"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _tasks(carried) -> str:
    return carried.client("officer").get(url("assessment-tasks", carried.assessment.pk)).content.decode()


def test_carried_answers_are_check_again_and_not_counted_completed(carried):
    page = _tasks(carried)
    for code in ("R1", "R2", "R3"):
        assert _status(page, f"requirement-{code}") == "Check again"
    assert "Carried forward from your 2002/03 answer: check it is still right" in page
    assert "You have completed 0 of" in page


def test_confirming_one_unchanged_makes_it_completed_and_counted(carried):
    r1 = carried.response("R1")
    done = response_confirm(response=r1, by=carried.officer, expected_version=r1.version)

    assert done.checked_at is not None
    assert (done.self_rating, done.case, done.version) == (r1.self_rating, r1.case, r1.version)
    change = carried.assessment.changes.get(action=AssessmentChange.Action.ANSWER_CONFIRMED)
    assert change.summary == "R1 answer carried forward from 2002/03 confirmed unchanged"
    assert change.by == carried.officer
    page = _tasks(carried)
    assert _status(page, "requirement-R1") == "Completed"
    assert _status(page, "requirement-R2") == "Check again"
    assert "You have completed 1 of" in page


def test_editing_a_carried_answer_counts_as_checking_it(carried):
    r2 = carried.response("R2")
    response_save(response=r2, by=carried.officer, self_rating="amber", case="Changed this year.",
                  expected_version=r2.version)

    assert carried.response("R2").checked_at is not None
    assert _status(_tasks(carried), "requirement-R2") == "Completed"


def test_confirming_twice_records_it_once(carried):
    r1 = carried.response("R1")
    first = response_confirm(response=r1, by=carried.officer, expected_version=r1.version)
    again = response_confirm(response=r1, by=carried.officer, expected_version=r1.version)

    assert again.checked_at == first.checked_at
    assert carried.assessment.changes.filter(
        action=AssessmentChange.Action.ANSWER_CONFIRMED).count() == 1


def test_an_answer_changed_since_the_page_was_loaded_is_not_confirmed(carried):
    r3 = carried.response("R3")
    loaded = r3.version
    # Another officer's save, then a third: the answer moved on (and was checked by that edit).
    RequirementResponse.objects.filter(pk=r3.pk).update(version=loaded + 1)

    with pytest.raises(ConflictError, match="changed after you opened the page"):
        response_confirm(response=r3, by=carried.officer, expected_version=loaded)
    assert carried.response("R3").checked_at is None


def test_an_answer_not_carried_forward_has_nothing_to_confirm(carried):
    first_year = carried.last_year.responses.get(requirement__code="R1")
    with pytest.raises(ApplicationError, match="was not carried forward"):
        response_confirm(response=first_year, by=carried.officer,
                         expected_version=first_year.version)
    assert first_year.checked_at is None


def test_a_submitted_assessment_cannot_be_confirmed(carried):
    assessment_submit(assessment=SelfAssessment.objects.get(pk=carried.assessment.pk),
                      by=carried.chair)
    r1 = carried.response("R1")
    with pytest.raises(ConflictError, match="can no longer be changed"):
        response_confirm(response=r1, by=carried.officer, expected_version=r1.version)
    assert carried.response("R1").checked_at is None


def test_the_page_offers_the_confirmation_and_the_post_confirms_and_continues(carried):
    client = carried.client("officer")
    target = url("response-edit", carried.assessment.pk, "R1")
    page = client.get(target).content.decode()
    assert "Check again: carried forward from 2002/03" in page
    assert 'value="confirm"' in page

    r1 = carried.response("R1")
    response = client.post(target, {"self_rating": r1.self_rating, "case": r1.case,
                                     "version": r1.version, "action": "confirm"})

    assert response.status_code == 302
    assert response["Location"] == url("response-edit", carried.assessment.pk, "R2")
    assert carried.response("R1").checked_at is not None
    assert 'value="confirm"' not in client.get(target).content.decode()


def test_a_stale_confirmation_from_the_page_is_a_conflict_and_changes_nothing(carried):
    client = carried.client("officer")
    r1 = carried.response("R1")
    RequirementResponse.objects.filter(pk=r1.pk).update(version=r1.version + 1)

    response = client.post(url("response-edit", carried.assessment.pk, "R1"), {
        "self_rating": r1.self_rating, "case": r1.case, "version": r1.version,
        "action": "confirm"})

    assert response.status_code == 409
    assert carried.response("R1").checked_at is None


def test_the_chair_cannot_confirm_an_answer(carried):
    r1 = carried.response("R1")
    response = carried.client("chair").post(url("response-edit", carried.assessment.pk, "R1"), {
        "self_rating": r1.self_rating, "case": r1.case, "version": r1.version,
        "action": "confirm"})
    assert response.status_code == 404
    assert carried.response("R1").checked_at is None
