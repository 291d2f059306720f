"""The partnership's pages, as each kind of user: the officer and chair of the partnership, an
officer of another partnership, the region's reviewer, an NRU analyst and someone signed out."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accreditation.models import EvidenceFile, RequirementResponse, SelfAssessment, Status
from accreditation.services.drafting import CASE_WORD_LIMIT, assessment_start, evidence_attach, response_save
from accreditation.services.review import assessment_return
from partnerships.models import Sector
from tests.accreditation.test_lsp_evidence import pdf_bytes, png_bytes
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    FundFactory,
    MemberFactory,
    PartnershipFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
    assessment_fill,
)
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db


class World:
    """One partnership with its officer and chair, and everyone who must not see its pages."""

    def __init__(self):
        self.partnership = PartnershipFactory(local_authority__name="Walsall",
                                              local_authority__region__name="West Midlands")
        region = self.partnership.region
        self.officer = RoleAssignmentFactory(officer=True, partnership=self.partnership).user
        self.chair = RoleAssignmentFactory(chair=True, partnership=self.partnership).user
        self.other_officer = RoleAssignmentFactory(
            officer=True, partnership__local_authority__region=region).user
        self.reviewer = RoleAssignmentFactory(reviewer=True, region=region).user
        self.analyst = RoleAssignmentFactory(analyst=True).user
        self.cycle = CycleFactory()
        self.assessment = assessment_start(partnership=self.partnership, cycle=self.cycle,
                                           by=self.officer)

    def client(self, who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(getattr(self, who))
        return client

    def response(self, code="R1") -> RequirementResponse:
        return self.assessment.responses.get(requirement__code=code)


@pytest.fixture
def world():
    """Built once per test process and restored per test (tests/row_snapshot.py)."""
    return restored(World)


def url(name, *args):
    return reverse(f"accreditation:{name}", args=args)


ROLES = ["officer", "chair", "other_officer", "reviewer", "analyst", "anonymous"]


def page_urls(world):
    a = world.assessment.pk
    return {
        "home": url("home"),
        "tasks": url("assessment-tasks", a),
        "requirement": url("response-edit", a, "R1"),
        "evidence": url("evidence-list", a),
        "check": url("assessment-check", a),
        "history": url("assessment-history", a),
        "members": reverse("partnerships:member-list", args=[world.partnership.slug]),
    }


LSP_ONLY = {"officer": 200, "chair": 200, "other_officer": 404, "reviewer": 404, "analyst": 404}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["home", "tasks", "requirement", "evidence", "check", "history",
                                  "members"])
def test_each_page_is_for_the_partnerships_officer_and_chair_only(world, who, page):
    target = page_urls(world)[page]

    response = world.client(who).get(target)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:sign-in"))
    elif page == "home" and who == "other_officer":
        assert response.status_code == 200  # their own partnership's home
        assert "Walsall" not in response.content.decode()
    else:
        assert response.status_code == LSP_ONLY[who]


@pytest.mark.parametrize("who", ROLES)
def test_only_the_chair_reaches_sign_off(world, who):
    response = world.client(who).get(url("assessment-sign-off", world.assessment.pk))

    expected = {"chair": 200, "anonymous": 302}.get(who, 404)
    assert response.status_code == expected


def test_a_page_of_an_assessment_that_does_not_exist_is_404(world):
    assert world.client("officer").get(url("assessment-tasks", 999_999)).status_code == 404
    assert world.client("officer").get(
        url("response-edit", world.assessment.pk, "R99")).status_code == 404


# --- Home ----------------------------------------------------------------------------------------

def test_home_lists_the_cycles_with_status_deadline_next_action_and_money(world):
    nrf = FundFactory(code="NRF")
    year = FinancialYearFactory(start_year=2002)
    AllocationFactory(partnership=world.partnership, fund=nrf, year=year, amount_pence=300_000_000,
                      provenance="published")
    AllocationFactory(partnership=world.partnership, fund=FundFactory(code="CEF"), year=year,
                      amount_pence=12_345_600, provenance="illustrative")

    page = world.client("officer").get(url("home")).content.decode()

    assert "Walsall LSP" in page and "2002/03" in page
    assert "31 January 2002" in page
    assert "Continue self-assessment" in page
    assert "£3,000,000" in page and "£123,456" in page
    assert "Published" in page and "Illustrative" in page
    assert page.count("£0") == 2  # nothing released yet: released column of each allocation


def test_home_offers_the_officer_to_start_a_cycle_not_yet_started(world):
    later = CycleFactory(year_start=2003)

    page = world.client("officer").get(url("home")).content.decode()

    assert url("assessment-start", world.partnership.pk, later.pk) in page


def test_the_chair_is_told_when_there_is_something_to_sign_off(world):
    assessment_fill(world.assessment)

    page = world.client("chair").get(url("home")).content.decode()

    assert "Sign off and submit" in page
    assert url("assessment-sign-off", world.assessment.pk) in page


def test_home_keeps_to_a_query_budget(world, django_assert_max_num_queries):
    for year in (2003, 2004):
        CycleFactory(year_start=year)
    for n, fund in enumerate(("NRF", "CEF")):
        for start in (2001, 2002, 2003):
            AllocationFactory(partnership=world.partnership, fund=FundFactory(code=fund),
                              year=FinancialYearFactory(start_year=start), amount_pence=1000 + n)
    client = world.client("officer")

    # Session, user and roles (3), the session's save on every request (3 with its savepoint),
    # then partnerships, cycles, assessments and allocations with their ledger sums (4).
    with django_assert_max_num_queries(10):
        response = client.get(url("home"))
    assert response.status_code == 200


def test_a_user_with_no_partnership_role_has_no_lsp_home(world):
    assert world.client("reviewer").get(url("home")).status_code == 404


# --- Starting ------------------------------------------------------------------------------------

def test_the_officer_starts_a_cycle_with_a_post(world):
    later = CycleFactory(year_start=2003)
    target = url("assessment-start", world.partnership.pk, later.pk)

    assert world.client("officer").get(target).status_code == 405
    assert world.client("chair").post(target).status_code == 404
    assert world.client("other_officer").post(target).status_code == 404
    response = world.client("officer").post(target)

    started = SelfAssessment.objects.get(partnership=world.partnership, cycle=later)
    assert response["Location"] == url("assessment-tasks", started.pk)


# --- Task list -----------------------------------------------------------------------------------

def _task_status(page: str, slug: str) -> str:
    match = re.search(rf'id="task-{slug}-status"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_the_task_list_shows_each_task_with_its_status(world):
    response_save(response=world.response("R1"), by=world.officer, self_rating="green",
                  case="Done.", expected_version=1)
    response_save(response=world.response("R2"), by=world.officer, self_rating="",
                  case="Started.", expected_version=1)
    MemberFactory(partnership=world.partnership, chair=True)

    page = world.client("officer").get(url("assessment-tasks", world.assessment.pk)).content.decode()

    assert 'class="govuk-task-list"' in page
    assert _task_status(page, "requirement-R1") == "Completed"
    assert _task_status(page, "requirement-R2") == "In progress"
    assert _task_status(page, "requirement-R3") == "Not started"
    assert _task_status(page, "membership") == "In progress"  # sectors missing, not answered
    assert _task_status(page, "evidence") == "Not started"
    assert _task_status(page, "check") == "Cannot start yet"
    assert _task_status(page, "sign-off") == "Cannot start yet"
    assert "You have completed 1 of 7 tasks" in page


def test_check_and_sign_off_open_up_once_every_answer_is_in(world):
    assessment_fill(world.assessment)
    client = world.client("officer")
    page = client.get(url("assessment-tasks", world.assessment.pk)).content.decode()
    assert _task_status(page, "check") == "Not started"
    assert _task_status(page, "sign-off") == "Cannot start yet"

    client.post(url("assessment-check", world.assessment.pk),
                {"version": SelfAssessment.objects.get(pk=world.assessment.pk).version})

    page = client.get(url("assessment-tasks", world.assessment.pk)).content.decode()
    assert _task_status(page, "check") == "Completed"
    assert _task_status(page, "sign-off") == "In progress"
    assert "Waiting for the partnership" in page
    chair_page = world.client("chair").get(url("assessment-tasks", world.assessment.pk))
    assert _task_status(chair_page.content.decode(), "sign-off") == "Not started"


def test_task_list_keeps_to_a_query_budget(world, django_assert_max_num_queries):
    for code in ("R1", "R2", "R3"):
        evidence_attach(response=world.response(code), by=world.officer,
                        upload=SimpleUploadedFile(f"{code}.pdf", pdf_bytes()))
    for sector in Sector.values:
        MemberFactory(partnership=world.partnership, sector=sector)
    client = world.client("officer")

    # Session, user, roles and the session's save (6); the assessment, its responses, their
    # files, progress reports and members (5): none per requirement, file or member.
    with django_assert_max_num_queries(11):
        response = client.get(url("assessment-tasks", world.assessment.pk))
    assert response.status_code == 200


# --- A requirement: saving without JavaScript ----------------------------------------------------

def post_answer(client, world, code="R1", **fields):
    data = {"self_rating": "amber", "case": "We meet monthly.", "version": 1, "action": "save",
            **fields}
    return client.post(url("response-edit", world.assessment.pk, code), data)


def test_the_requirement_page_spells_out_each_rating_and_counts_words(world):
    page = world.client("officer").get(url("response-edit", world.assessment.pk, "R1")).content.decode()

    for meaning in ("does not meet this requirement yet", "meets part of this requirement",
                    "meets this requirement in full"):
        assert meaning in page
    assert 'data-module="govuk-character-count"' in page
    assert f'data-maxwords="{CASE_WORD_LIMIT}"' in page
    assert "Save and come back later" in page
    assert 'data-autosave-url="' + url("response-autosave", world.assessment.pk, "R1") in page
    assert 'enctype="multipart/form-data"' in page


def test_save_and_continue_saves_and_goes_to_the_next_requirement(world):
    response = post_answer(world.client("officer"), world)

    assert response.status_code == 302
    assert response["Location"] == url("response-edit", world.assessment.pk, "R2")
    saved = world.response("R1")
    assert (saved.self_rating, saved.case, saved.version) == ("amber", "We meet monthly.", 2)


def test_save_and_come_back_later_returns_to_the_task_list(world):
    client = world.client("officer")
    response = post_answer(client, world, action="later")

    assert response["Location"] == url("assessment-tasks", world.assessment.pk)
    assert "Your answers have been saved" in client.get(response["Location"]).content.decode()


def test_the_last_requirement_leads_back_to_the_task_list(world):
    response = post_answer(world.client("officer"), world, code="R3")
    assert response["Location"] == url("assessment-tasks", world.assessment.pk)


def test_an_overlong_case_gets_a_govuk_error_and_nothing_is_saved(world):
    text = "word " * (CASE_WORD_LIMIT + 1)

    response = post_answer(world.client("officer"), world, case=text)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: R1" in page
    assert 'class="govuk-error-summary"' in page
    assert f"Your case must be {CASE_WORD_LIMIT} words or fewer (it is {CASE_WORD_LIMIT + 1} words)" in page
    assert text.strip() in page  # what was typed is still there
    assert world.response("R1").version == 1


def test_a_stale_form_is_refused_keeps_the_text_and_shows_the_saved_answer(world):
    colleague = RoleAssignmentFactory(officer=True, partnership=world.partnership).user
    response_save(response=world.response("R1"), by=colleague, self_rating="green",
                  case="The colleague's case.", expected_version=1)

    response = post_answer(world.client("officer"), world, case="My own case.")

    page = response.content.decode()
    assert response.status_code == 409
    assert "This answer was changed by" in page and "after you opened the page" in page
    assert "My own case." in page and "The colleague&#x27;s case." in page
    assert 'name="version" value="2"' in page  # saving again is a deliberate overwrite
    assert world.response("R1").case == "The colleague's case."


def test_a_double_submitted_form_is_not_a_conflict(world):
    client = world.client("officer")
    post_answer(client, world)

    again = post_answer(client, world)

    assert again.status_code == 302
    assert world.response("R1").version == 2


def test_after_submission_a_post_is_refused_and_the_text_is_kept(world):
    assessment_fill(world.assessment)
    from accreditation.services.drafting import assessment_submit

    assessment_submit(assessment=world.assessment, by=world.chair)

    response = post_answer(world.client("officer"), world, case="Typed after submission.")

    page = response.content.decode()
    assert response.status_code == 409
    assert "was submitted by" in page and "Typed after submission." in page
    assert "Save and continue" not in page
    assert world.response("R1").case == "Our case, with evidence."


@pytest.mark.parametrize("who", ["chair", "other_officer", "reviewer", "analyst"])
def test_only_the_partnerships_officers_can_post_an_answer(world, who):
    response = post_answer(world.client(who), world)

    assert response.status_code == 404
    assert world.response("R1").version == 1


def test_the_form_needs_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.officer)

    response = post_answer(client, world)

    assert response.status_code == 403
    assert world.response("R1").version == 1


# --- Evidence on the requirement page ------------------------------------------------------------

def test_uploading_a_file_saves_the_answer_too(world):
    client = world.client("officer")

    response = post_answer(client, world, action="upload",
                           evidence=SimpleUploadedFile("minutes.pdf", pdf_bytes()))

    assert response.status_code == 302
    assert response["Location"].endswith("#evidence")
    record = EvidenceFile.objects.get()
    assert record.original_name == "minutes.pdf" and record.response == world.response("R1")
    assert world.response("R1").case == "We meet monthly."
    page = client.get(response["Location"]).content.decode()
    assert "minutes.pdf has been uploaded" in page
    assert url("evidence-download", record.pk) in page


def test_a_rejected_file_gets_an_error_saying_why_and_the_answer_is_kept(world):
    response = post_answer(world.client("officer"), world, action="upload",
                           evidence=SimpleUploadedFile("chart.pdf", png_bytes()))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-error-summary"' in page
    assert "The selected file is a PNG image but its name ends in .pdf" in page
    assert 'href="#id_evidence"' in page
    assert "Your answer has been saved." in page
    assert not EvidenceFile.objects.exists()
    assert world.response("R1").case == "We meet monthly."


def test_upload_without_a_file_asks_for_one(world):
    response = post_answer(world.client("officer"), world, action="upload")

    assert "Select a file to upload" in response.content.decode()


def test_a_file_is_removed_with_its_remove_button(world):
    record = evidence_attach(response=world.response("R1"), by=world.officer,
                             upload=SimpleUploadedFile("a.pdf", pdf_bytes()))
    client = world.client("officer")

    response = post_answer(client, world, remove=str(record.pk), version=1)

    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()
    # A second click on the same button (the row is gone) is harmless.
    assert post_answer(client, world, remove=str(record.pk), version=2).status_code == 302


def test_a_file_of_another_requirement_cannot_be_removed_from_this_page(world):
    record = evidence_attach(response=world.response("R2"), by=world.officer,
                             upload=SimpleUploadedFile("a.pdf", pdf_bytes()))

    post_answer(world.client("officer"), world, remove=str(record.pk))

    assert EvidenceFile.objects.filter(pk=record.pk).exists()


# --- Downloads -----------------------------------------------------------------------------------

@pytest.fixture
def evidence(world):
    return evidence_attach(response=world.response("R1"), by=world.officer,
                           upload=SimpleUploadedFile("../../Minutes May.pdf", pdf_bytes()))


@pytest.mark.parametrize(
    ("who", "submitted", "status"),
    [("officer", False, 200), ("chair", False, 200), ("reviewer", False, 404),
     ("analyst", False, 404), ("other_officer", False, 404), ("anonymous", False, 302),
     ("reviewer", True, 200), ("analyst", True, 200), ("other_officer", True, 404)],
)
def test_a_file_is_downloaded_only_by_those_who_may_see_its_assessment(world, evidence, who,
                                                                      submitted, status):
    """Reviewers and NRU read a self-assessment, and its files, once it has been submitted."""
    if submitted:
        from accreditation.services.drafting import assessment_submit

        assessment_fill(world.assessment)
        assessment_submit(assessment=world.assessment, by=world.chair)
    response = world.client(who).get(url("evidence-download", evidence.pk))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == 'attachment; filename="Minutes_May.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == pdf_bytes()


def test_a_file_missing_from_storage_is_404_not_500(world, evidence):
    evidence.file.storage.delete(evidence.file.name)

    assert world.client("officer").get(url("evidence-download", evidence.pk)).status_code == 404


def test_files_are_not_served_from_a_media_url(world, evidence):
    assert world.client("officer").get("/media/" + evidence.file.name).status_code == 404
    assert world.client("officer").get("/" + evidence.file.name).status_code == 404


# --- Autosave ------------------------------------------------------------------------------------

def autosave(client, world, code="R1", **fields):
    data = {"self_rating": "green", "case": "Autosaved text.", "version": 1, **fields}
    return client.post(url("response-autosave", world.assessment.pk, code), data)


def test_autosave_saves_and_answers_with_the_new_version_and_time(world):
    response = autosave(world.client("officer"), world)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert re.fullmatch(r"Saved at \d\d:\d\d", body["message"])
    assert world.response("R1").case == "Autosaved text."


def test_autosave_of_a_stale_page_is_a_409_with_a_plain_message(world):
    client = world.client("officer")
    autosave(client, world)

    response = autosave(client, world, case="Different text.", version=1)

    assert response.status_code == 409
    assert "after you opened the page" in response.json()["message"]
    assert world.response("R1").case == "Autosaved text."


def test_autosave_after_submission_is_a_409(world):
    assessment_fill(world.assessment)
    from accreditation.services.drafting import assessment_submit

    assessment_submit(assessment=world.assessment, by=world.chair)

    response = autosave(world.client("officer"), world)

    assert response.status_code == 409
    assert "was submitted by" in response.json()["message"]


def test_autosave_when_signed_out_is_a_401_asking_to_copy_the_text(world):
    response = autosave(world.client("anonymous"), world)

    assert response.status_code == 401
    assert "You have been signed out" in response.json()["message"]
    assert "Copy your text" in response.json()["message"]


@pytest.mark.parametrize(("who", "status"), [("chair", 403), ("other_officer", 404),
                                             ("reviewer", 404), ("analyst", 404)])
def test_autosave_is_only_for_the_partnerships_officers(world, who, status):
    assert autosave(world.client(who), world).status_code == status
    assert world.response("R1").version == 1


def test_autosave_of_an_overlong_case_is_a_400_and_saves_nothing(world):
    response = autosave(world.client("officer"), world, case="w " * (CASE_WORD_LIMIT + 1))

    assert response.status_code == 400
    assert response.json()["message"].startswith("Not saved: Your case must be 500 words")
    assert world.response("R1").version == 1


def test_autosave_takes_only_posts(world):
    assert world.client("officer").get(
        url("response-autosave", world.assessment.pk, "R1")).status_code == 405


# --- The inclusiveness requirement ---------------------------------------------------------------

def test_r2_warns_of_missing_sectors_and_takes_an_answer(world):
    MemberFactory(partnership=world.partnership, sector=Sector.PUBLIC, chair=True)
    MemberFactory(partnership=world.partnership, sector=Sector.BUSINESS)
    client = world.client("officer")

    page = client.get(url("response-edit", world.assessment.pk, "R2")).content.decode()
    assert "No member of the partnership is from the community, voluntary sectors" in page
    assert "How are you addressing this?" in page

    post_answer(client, world, code="R2", inclusiveness_note="Inviting the CVS in June.")
    assert SelfAssessment.objects.get(pk=world.assessment.pk).inclusiveness_note == (
        "Inviting the CVS in June.")
    tasks = client.get(url("assessment-tasks", world.assessment.pk)).content.decode()
    assert _task_status(tasks, "membership") == "Completed"


# --- Check your answers and sign-off -------------------------------------------------------------

def test_check_your_answers_lists_answers_with_change_links(world):
    assessment_fill(world.assessment)

    page = world.client("officer").get(url("assessment-check", world.assessment.pk)).content.decode()

    assert 'class="govuk-summary-list' in page
    assert page.count("Our case, with evidence.") == 3
    assert f'href="{url("response-edit", world.assessment.pk, "R2")}#id_case"' in page
    assert "Confirm and ask the chair to sign off" in page


def test_asking_the_chair_too_early_shows_an_error_summary_of_what_is_missing(world):
    response_save(response=world.response("R1"), by=world.officer, self_rating="green",
                  case="Done.", expected_version=1)

    response = world.client("officer").post(
        url("assessment-check", world.assessment.pk),
        {"version": SelfAssessment.objects.get(pk=world.assessment.pk).version})

    page = response.content.decode()
    assert 'class="govuk-error-summary"' in page
    assert "R2 Requirement R2: select a self-rating and write your case" in page
    assert f'href="{url("response-edit", world.assessment.pk, "R3")}"' in page
    assert "R1 Requirement R1" not in page.split("govuk-error-summary__list")[1].split("</ul>")[0]


def _sign_off(world, **data):
    version = SelfAssessment.objects.get(pk=world.assessment.pk).version
    return world.client("chair").post(url("assessment-sign-off", world.assessment.pk),
                                      {"version": version, **data})


def test_the_chair_signs_off_with_the_declaration_and_it_is_submitted(world):
    assessment_fill(world.assessment)

    unconfirmed = _sign_off(world)
    assert "Confirm that you have read the self-assessment" in unconfirmed.content.decode()
    assert SelfAssessment.objects.get(pk=world.assessment.pk).status == Status.DRAFT

    response = _sign_off(world, confirm="on")

    assert response["Location"] == url("assessment-submitted", world.assessment.pk)
    submitted = SelfAssessment.objects.get(pk=world.assessment.pk)
    assert submitted.status == Status.SUBMITTED and submitted.signed_off_by == world.chair
    page = world.client("chair").get(response["Location"]).content.decode()
    assert "Self-assessment submitted" in page


def test_sign_off_is_blocked_with_an_error_summary_listing_what_is_missing(world):
    response = _sign_off(world, confirm="on")

    page = response.content.decode()
    assert 'class="govuk-error-summary"' in page
    for code in ("R1", "R2", "R3"):
        assert f"{code} Requirement {code}: select a self-rating and write your case" in page
    assert SelfAssessment.objects.get(pk=world.assessment.pk).status == Status.DRAFT


def test_sign_off_of_answers_changed_since_the_page_loaded_is_refused(world):
    assessment_fill(world.assessment)
    seen = SelfAssessment.objects.get(pk=world.assessment.pk).version
    response = world.response("R1")
    response_save(response=response, by=world.officer, self_rating="red", case="Changed.",
                  expected_version=response.version)

    result = world.client("chair").post(url("assessment-sign-off", world.assessment.pk),
                                        {"version": seen, "confirm": "on"})

    assert result.status_code == 409
    assert "The answers changed after you opened this page" in result.content.decode()
    assert SelfAssessment.objects.get(pk=world.assessment.pk).status == Status.DRAFT


def test_a_repeated_sign_off_click_lands_on_the_confirmation(world):
    assessment_fill(world.assessment)
    version = SelfAssessment.objects.get(pk=world.assessment.pk).version
    client = world.client("chair")
    client.post(url("assessment-sign-off", world.assessment.pk), {"version": version, "confirm": "on"})

    again = client.post(url("assessment-sign-off", world.assessment.pk),
                        {"version": version, "confirm": "on"})

    assert again["Location"] == url("assessment-submitted", world.assessment.pk)
    assert world.assessment.events.count() == 1


def test_after_submission_pages_are_read_only(world):
    assessment_fill(world.assessment)
    from accreditation.services.drafting import assessment_submit

    assessment_submit(assessment=world.assessment, by=world.chair)
    client = world.client("officer")

    tasks = client.get(url("assessment-tasks", world.assessment.pk)).content.decode()
    requirement = client.get(url("response-edit", world.assessment.pk, "R1")).content.decode()

    assert "It can no longer be changed" in tasks
    assert 'id="response-form"' not in requirement and "<textarea" not in requirement
    assert "Our case, with evidence." in requirement


# --- Returned for changes ------------------------------------------------------------------------

def test_returned_reasons_are_shown_beside_each_requirement_and_it_can_be_resubmitted(world):
    assessment_fill(world.assessment)
    from accreditation.services.drafting import assessment_submit
    from accreditation.services.review import assessment_start_review

    assessment_submit(assessment=world.assessment, by=world.chair)
    assessment_start_review(assessment=world.assessment, by=world.reviewer)
    assessment_return(assessment=world.assessment, by=world.reviewer, summary="Two gaps.",
                      reasons={world.response("R2").requirement_id: "Name the voluntary partners."})
    client = world.client("officer")

    tasks = client.get(url("assessment-tasks", world.assessment.pk)).content.decode()
    assert "returned this self-assessment for changes" in tasks
    assert "The Government Office asked for changes: Name the voluntary partners." in tasks
    page = client.get(url("response-edit", world.assessment.pk, "R2")).content.decode()
    assert "Name the voluntary partners." in page and "Save and continue" in page

    post_answer(client, world, code="R2", version=world.response("R2").version)
    assert _sign_off(world, confirm="on").status_code == 302
    assert SelfAssessment.objects.get(pk=world.assessment.pk).status == Status.SUBMITTED


# --- After the decision --------------------------------------------------------------------------

@pytest.fixture
def deferred(django_capture_on_commit_callbacks):
    partnership = PartnershipFactory(local_authority__name="Walsall")
    officer = RoleAssignmentFactory(officer=True, partnership=partnership).user
    cycle = CycleFactory()
    AllocationFactory(partnership=partnership, fund=FundFactory(code="NRF"),
                      year=FinancialYearFactory(start_year=2002), amount_pence=300_000_000)
    ReleasePolicyFactory(governing_cycle=cycle)
    with django_capture_on_commit_callbacks(execute=True):
        assessment = SelfAssessmentFactory(partnership=partnership, cycle=cycle, deferred=True)
    assessment.decisions.update(letter="Dear Chair,\n\nYour accreditation is deferred.")
    client = Client()
    client.force_login(officer)
    return assessment, client


def test_the_decision_page_shows_outcome_concerns_review_date_and_money(deferred):
    assessment, client = deferred

    page = client.get(url("assessment-decision", assessment.pk)).content.decode()

    assert "Decision: deferred" in page
    assert "28 March 2002" in page
    assert "Not yet shown." in page and "Show it." in page
    assert "£2,010,000 released, £990,000 held until review" in page
    decision = assessment.decisions.get()
    assert url("decision-letter", assessment.pk, decision.pk) in page


def test_the_letter_is_shown_as_a_page(deferred):
    assessment, client = deferred
    decision = assessment.decisions.get()

    page = client.get(url("decision-letter", assessment.pk, decision.pk)).content.decode()

    assert "Your accreditation is deferred." in page


def test_there_is_no_decision_page_before_a_decision(world):
    assert world.client("officer").get(
        url("assessment-decision", world.assessment.pk)).status_code == 404


# --- History -------------------------------------------------------------------------------------

def test_the_history_shows_saves_and_the_sign_off_with_who_and_what(world):
    post_answer(world.client("officer"), world)
    assessment_fill(world.assessment)
    _sign_off(world, confirm="on")

    page = world.client("officer").get(url("assessment-history", world.assessment.pk)).content.decode()

    assert "Signed off by the chair and submitted" in page
    assert "R1 answer saved: rating not given → amber; case edited (0 → 3 words)" in page
    assert "Self-assessment started" in page
    assert str(world.chair) in page and str(world.officer) in page


# --- Progress on last cycle's concerns -----------------------------------------------------------

def test_progress_on_last_cycles_concerns_is_reported_on_its_own_page(world):
    last = world.assessment
    assessment_fill(last)
    import datetime as dt

    from accreditation.services.decisions import Concern, assessment_defer
    from accreditation.services.drafting import assessment_submit
    from accreditation.services.review import assessment_start_review

    assessment_submit(assessment=last, by=world.chair)
    assessment_start_review(assessment=last, by=world.reviewer)
    assessment_defer(assessment=last, by=world.reviewer, review_date=dt.date(2099, 1, 1),
                     concerns=[Concern(requirement=world.response("R2").requirement,
                                       concern="Few voluntary members.",
                                       action_required="Recruit two.")])
    nxt = assessment_start(partnership=world.partnership, cycle=CycleFactory(year_start=2003),
                           by=world.officer)
    progress = nxt.concern_progress.get()
    client = world.client("officer")

    page = client.get(url("concern-progress", nxt.pk)).content.decode()
    assert "Few voluntary members." in page and "Recruit two." in page
    tasks = client.get(url("assessment-tasks", nxt.pk)).content.decode()
    assert _task_status(tasks, "concerns") == "Not started"

    from accreditation.services.drafting import concern_progress_token

    response = client.post(url("concern-progress", nxt.pk), {
        f"progress_{progress.pk}": "Two joined in May.",
        f"token_{progress.pk}": concern_progress_token(progress),
    })
    assert response.status_code == 302
    progress.refresh_from_db()
    assert progress.progress == "Two joined in May."
    stale = client.post(url("concern-progress", nxt.pk), {
        f"progress_{progress.pk}": "Something else.", f"token_{progress.pk}": "stale"})
    assert stale.status_code == 409
    assert "was changed after you opened the page" in stale.content.decode()


def test_a_form_without_its_version_is_a_page_level_error_not_a_500(world):
    response = world.client("officer").post(
        url("response-edit", world.assessment.pk, "R1"),
        {"self_rating": "green", "case": "Kept.", "version": "x", "action": "save"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "This page is out of date: reload it" in page
    assert 'class="govuk-error-summary"' in page and "Kept." in page
    assert world.response("R1").version == 1
