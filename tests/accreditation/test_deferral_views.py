"""The response to a deferral through its pages: the officer writes progress and attaches files
without JavaScript, asks the chair, the chair signs off with the declaration; the reviewer's
queue and review page show the round; whoever may not act is refused and nothing is written."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accreditation.models import (
    ConcernResponse,
    DeferralResponse,
    EvidenceFile,
    Status,
)
from accreditation.services.deferral import deferral_progress_save
from accreditation.services.review import assessment_start_review
from tests.factories import RoleAssignmentFactory, SelfAssessmentFactory

from .deferral_world import DEFERRED_MONEY, REVIEW_ON, deferred_walsall_settled, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def walsall():
    return deferred_walsall_settled()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    html = response.content.decode()
    main = html[html.find("<main"):html.find("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#x27;", "'")


def url(name, w, *extra):
    return reverse(f"accreditation:{name}", args=[w.pk, *extra])


def concern_post(w, text_="", version=0, **extra):
    return {"progress": text_, "version": str(version), "decision": str(w.decision.pk),
            "action": "save", **extra}


def respond_fully(w, client):
    for concern in (w.r1_concern, w.r2_concern):
        client.post(url("deferral-concern", w, concern.pk),
                    concern_post(w, f"Progress on {concern.requirement.code}."))


def test_the_officer_is_asked_to_respond_from_home_tasks_and_decision(walsall):
    w = walsall
    officer = client_for(w.officer)
    home = text(officer.get(reverse("accreditation:home")))
    assert "Respond to the areas of concern" in home and "Review on 28 March 2002, " in home
    for page in ("assessment-tasks", "assessment-decision"):
        assert ("Respond to the areas of concern before your review on 28 March 2002"
                in text(officer.get(url(page, w))))
    page = text(officer.get(url("deferral-response", w)))
    assert "Respond to the areas of concern before your review on 28 March 2002" in page
    assert "No strategic role yet." in page and "Agree the board's role" in page
    assert "Not started" in page
    # The answers the Government Office rated red (R1) or amber (R2, agreed), not R3.
    assert "R1 Requirement R1 Government Office: Red" in page
    assert "R2 Requirement R2 Government Office: Amber" in page
    assert "R3 Requirement R3 Government Office" not in page
    assert not DeferralResponse.objects.exists()  # reading writes nothing


def test_the_officer_writes_progress_with_a_file_and_asks_the_chair(walsall, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    w = walsall
    officer = client_for(w.officer)
    # Upload a file without JavaScript: the text is saved with it.
    answer = officer.post(url("deferral-concern", w, w.r1_concern.pk), concern_post(
        w, "The board agreed its role.", action="upload", evidence=pdf_upload()))
    assert answer.status_code == 302 and answer.url.endswith("#evidence")
    page = text(officer.get(url("deferral-concern", w, w.r1_concern.pk)))
    assert "board-minutes.pdf" in page and "The board agreed its role." in page
    record = EvidenceFile.objects.get()
    assert officer.get(reverse("accreditation:evidence-download", args=[record.pk])
                       ).status_code == 200
    # A file that is not what it claims is refused in the same words as a requirement's.
    answer = officer.post(url("deferral-concern", w, w.r1_concern.pk), concern_post(
        w, "The board agreed its role.", version=2, action="upload",
        evidence=SimpleUploadedFile("x.pdf", b"not a pdf at all")))
    assert "must be a PDF, Word, Excel" in text(answer)
    assert "Your progress has been saved." in text(answer)
    assert EvidenceFile.objects.count() == 1

    # Asking too early says what is missing, linked to it.
    answer = officer.post(url("deferral-response", w), {
        "version": str(DeferralResponse.objects.get().version), "decision": str(w.decision.pk)})
    assert "Write the progress made on R2" in text(answer)
    assert DeferralResponse.objects.get().sign_off_requested_at is None

    officer.post(url("deferral-concern", w, w.r2_concern.pk),
                 concern_post(w, "Two community members joined."))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = officer.post(url("deferral-response", w), {
            "version": str(DeferralResponse.objects.get().version),
            "decision": str(w.decision.pk)})
    assert answer.status_code == 302
    assert [m.to for m in mailoutbox] == [["chair@walsall.lsp.example"]]
    assert "Waiting for sign-off" in text(officer.get(url("deferral-response", w)))


def test_the_officer_updates_a_red_answer(walsall):
    w = walsall
    officer = client_for(w.officer)
    r1 = w.answer("R1")
    assert "The board has not agreed its strategic role." in text(
        officer.get(url("deferral-answer", w, "R1")))
    answer = officer.post(url("deferral-answer", w, "R1"), {
        "self_rating": "amber", "case": "The role is agreed.", "version": str(r1.version),
        "decision": str(w.decision.pk)})
    assert answer.status_code == 302
    assert w.answer("R1").self_rating == "amber"
    page = text(client_for(w.officer).get(url("deferral-response", w)))
    assert "R1 Requirement R1: rating green → amber, case changed" in page
    # R3 was agreed green: not part of the response.
    assert client_for(w.officer).get(url("deferral-answer", w, "R3")).status_code == 404


def test_the_chair_signs_off_with_the_declaration(walsall, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    w = walsall
    respond_fully(w, client_for(w.officer))
    chair = client_for(w.chair)
    home = text(chair.get(reverse("accreditation:home")))
    assert "Read the response so far" in home
    page = chair.get(url("deferral-sign-off", w))
    assert "I confirm that, as chair, I have read this response" in text(page)
    version = DeferralResponse.objects.get().version
    refused = chair.post(url("deferral-sign-off", w), {"version": version,
                                                       "decision": w.decision.pk})
    assert "Confirm that you have read the response" in text(refused)
    assert w.assessment().status == Status.DEFERRED
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = chair.post(url("deferral-sign-off", w), {
            "confirm": "on", "version": version, "decision": w.decision.pk})
    assert answer.status_code == 302
    assert w.assessment().status == Status.RESPONSE_RECEIVED
    assert w.money() == DEFERRED_MONEY
    assert [m.to for m in mailoutbox] == [["reviewer@west-midlands.go.example"]]
    page = text(chair.get(url("deferral-response", w)))
    assert "Signed off by" in page and "It can no longer be changed" in page
    # A second sign-off (a stale page, a second tab) is refused, saying so.
    again = chair.post(url("deferral-sign-off", w), {
        "confirm": "on", "version": version, "decision": w.decision.pk}, follow=True)
    assert "was already signed off by" in text(again)


def test_a_sign_off_by_the_officer_is_refused_with_a_message(walsall):
    w = walsall
    respond_fully(w, client_for(w.officer))
    officer = client_for(w.officer)
    for answer in (officer.get(url("deferral-sign-off", w)),
                   officer.post(url("deferral-sign-off", w), {
                       "confirm": "on", "version": 3, "decision": w.decision.pk})):
        assert answer.status_code == 403
        assert "Only the chair of Walsall LSP can sign off its response" in text(answer)
    assert w.assessment().status == Status.DEFERRED
    assert DeferralResponse.objects.get().signed_off_at is None


def test_another_partnerships_officer_gets_404_and_nothing_is_written(walsall):
    w = walsall
    other = client_for(w.other_officer)
    for name, extra in (("deferral-response", ()), ("deferral-concern", (w.r1_concern.pk,)),
                        ("deferral-answer", ("R1",)), ("deferral-sign-off", ())):
        assert other.get(url(name, w, *extra)).status_code == 404
        assert other.post(url(name, w, *extra), concern_post(w, "x")).status_code == 404
    reviewer = client_for(w.reviewer)
    assert reviewer.get(url("deferral-response", w)).status_code == 404
    assert not DeferralResponse.objects.exists() and not ConcernResponse.objects.exists()


def test_an_assessment_that_is_not_deferred_has_nothing_to_respond_to():
    a = SelfAssessmentFactory(submitted=True)
    officer = client_for(RoleAssignmentFactory(officer=True, partnership=a.partnership).user)
    answer = officer.get(reverse("accreditation:deferral-response", args=[a.pk]), follow=True)
    assert "There is no deferral to respond to: this self-assessment is submitted." in text(answer)


def test_a_page_made_before_the_round_was_decided_gets_the_conflict_message(walsall):
    w = walsall
    officer = client_for(w.officer)
    assessment_start_review(assessment=w.assessment(), by=w.reviewer, today=REVIEW_ON)
    answer = officer.post(url("deferral-concern", w, w.r1_concern.pk),
                          concern_post(w, "Written on an old page."))
    assert answer.status_code == 409
    assert "assessment changed after you opened the page (it is now under review)" in text(answer)
    assert not ConcernResponse.objects.filter(progress__startswith="Written").exists()


def test_the_reviewer_sees_the_response_beside_each_concern_and_what_changed(walsall,
                                                                             client):
    w = walsall
    reviewer = client_for(w.reviewer)
    deferral_progress_save(assessment=w.assessment(), concern_id=w.r1_concern.pk, by=w.officer,
                           text="A draft the reviewer must not see.", expected_version=0,
                           decision_id=w.decision.pk)
    page = text(reviewer.get(reverse("review:assessment-detail", args=[w.pk])))
    assert "Review round 2: the areas of concern and the partnership's response" in page
    assert "No response arrived from the partnership for review round 2." in page
    assert "A draft the reviewer must not see." not in page
    queue = text(reviewer.get(reverse("review:queue")))
    assert "Walsall LSP 2002/03" in queue and "None yet" in queue and "Overdue by" in queue

    officer = client_for(w.officer)
    officer.post(url("deferral-concern", w, w.r1_concern.pk), concern_post(
        w, "The board agreed its role on 12 March.", version=2, action="upload",
        evidence=pdf_upload("role-agreed.pdf")))
    officer.post(url("deferral-concern", w, w.r2_concern.pk),
                 concern_post(w, "Two community members joined."))
    chair = client_for(w.chair)
    chair.post(url("deferral-sign-off", w), {
        "confirm": "on", "version": DeferralResponse.objects.get().version,
        "decision": w.decision.pk})
    assert w.assessment().status == Status.RESPONSE_RECEIVED

    queue = text(reviewer.get(reverse("review:queue")))
    assert "Received" in queue
    page = reviewer.get(reverse("review:assessment-detail", args=[w.pk]))
    body = text(page)
    assert "No response arrived" not in body
    assert re.search(r"R1 Requirement R1 Concern No strategic role yet\. Action required Agree the "
                     r"board's role and show it in use\. By 28 March 2002 Progress made The board "
                     r"agreed its role on 12 March\. Evidence role-agreed\.pdf", body)
    assert "Rating in review round 1 Red The board has not agreed its strategic role." in body
    record = EvidenceFile.objects.get(original_name="role-agreed.pdf")
    assert reviewer.get(reverse("accreditation:evidence-download", args=[record.pk])
                        ).status_code == 200

    # Review round 2: return is not offered; the decision page offers the three outcomes.
    reviewer.post(reverse("review:assessment-start", args=[w.pk]),
                  {"version": w.assessment().version})
    assert w.assessment().review_round == 2
    choose = text(reviewer.get(reverse("review:decision-choose", args=[w.pk])))
    assert "Defer again, with new actions and a new review date" in choose
    assert "Return to the partnership" not in choose
    refused = reviewer.get(reverse("review:assessment-return", args=[w.pk]), follow=True)
    assert "cannot be returned for changes" in text(refused)
    page = text(reviewer.get(reverse("review:assessment-detail", args=[w.pk])))
    assert "Review round 2 started by the Government Office" in page
    assert "Views of key local stakeholders: review round 2" in page
