"""Who may read a self-assessment decides who may download its evidence: one rule
(`accreditation.selectors.assessments_visible_to`) for the pages and the files.

On the February 2002 demo (the `demo` fixture, tests/demo_snapshot.py), through the services, four
2003/04 self-assessments carry evidence in each state that matters: a draft never submitted
(Walsall), a submitted one, one returned for changes (a draft again, but submitted before) and
an accredited one. For every evidence file and every kind of user, the file downloads exactly
when the user can open a page of its assessment (the partnership's task list, the reviewer's
page, or NRU's drill-down listing it); and the review queue links exactly what opens.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accreditation.models import Cycle, EvidenceFile, SelfAssessment, Status
from accreditation.services.decisions import assessment_accredit
from accreditation.services.drafting import assessment_start, assessment_submit, evidence_attach
from accreditation.services.review import assessment_return, assessment_start_review
from core.models import User
from partnerships.models import Partnership
from tests.factories import assessment_fill

from .world import pdf_bytes

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.django_db]

NRU = ("analyst@nru.example", "admin@nru.example")


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _attach(assessment: SelfAssessment, officer: User) -> None:
    response = assessment.responses.order_by("requirement__order").first()
    evidence_attach(response=response, by=officer, upload=SimpleUploadedFile(
        "minutes.pdf", pdf_bytes(), content_type="application/pdf"))


def _evidence_in_every_state() -> dict[str, SelfAssessment]:
    """Four 2003/04 self-assessments with a file each, walked through the services."""
    cycle = Cycle.objects.get(year_start=2003)
    without_concerns = list(
        Partnership.objects.exclude(slug="walsall")
        .exclude(assessments__decisions__concerns__isnull=False)
        .select_related("local_authority__region").order_by("name")[:3]
    )
    made = {}
    walsall = Partnership.objects.get(slug="walsall")
    officer = _user("officer@walsall.lsp.example")
    made["draft"] = assessment_start(partnership=walsall, cycle=cycle, by=officer)
    _attach(made["draft"], officer)
    for state, partnership in zip(("submitted", "returned", "accredited"), without_concerns,
                                  strict=True):
        officer = _user(f"officer@{partnership.slug}.lsp.example")
        assessment = assessment_start(partnership=partnership, cycle=cycle, by=officer)
        assessment_fill(assessment)
        _attach(assessment, officer)
        assessment = assessment_submit(assessment=assessment,
                                       by=_user(f"chair@{partnership.slug}.lsp.example"))
        if state != "submitted":
            reviewer = _user(f"reviewer@{partnership.local_authority.region.slug}.go.example")
            assessment = assessment_start_review(assessment=assessment, by=reviewer)
            if state == "returned":
                first = assessment.responses.order_by("requirement__order").first()
                assessment = assessment_return(assessment=assessment, by=reviewer,
                                               reasons={first.requirement_id: "Say more."})
            else:
                assessment = assessment_accredit(assessment=assessment, by=reviewer,
                                                 summary="Accredited")
        made[state] = SelfAssessment.objects.get(pk=assessment.pk)
    return made


@pytest.fixture
def made(demo):
    """The four 2003/04 self-assessments with evidence, on the demo."""
    return _evidence_in_every_state()


def _status(client: Client, url: str) -> int:
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def _page_opens(client: Client, assessment: SelfAssessment) -> bool:
    """Any page of the assessment opens for this user: the partnership's task list, the
    reviewer's page, or NRU's drill-down listing it."""
    if _status(client, reverse("accreditation:assessment-tasks", args=[assessment.pk])) == 200:
        return True
    if _status(client, reverse("review:assessment-detail", args=[assessment.pk])) == 200:
        return True
    drilldown = client.get(reverse("reporting:partnership-show",
                                   args=[assessment.partnership.slug]))
    return drilldown.status_code == 200 and f'id="assessment-{assessment.pk}"' in \
        drilldown.content.decode()


def _people(assessment: SelfAssessment) -> dict[str, str | None]:
    """Every kind of user, for this assessment: its own, another partnership's, its region's
    reviewer and another region's, NRU, and nobody signed in."""
    partnership = assessment.partnership
    other = Partnership.objects.exclude(local_authority__region=partnership.region).first()
    other_region = other.local_authority.region
    return {
        "its officer": f"officer@{partnership.slug}.lsp.example",
        "its chair": f"chair@{partnership.slug}.lsp.example",
        "another partnership's officer": f"officer@{other.slug}.lsp.example",
        "its region's reviewer": f"reviewer@{partnership.region.slug}.go.example",
        "another region's reviewer": f"reviewer@{other_region.slug}.go.example",
        "NRU analyst": NRU[0], "NRU administrator": NRU[1], "signed out": None,
    }


def test_every_evidence_file_downloads_exactly_when_its_assessment_opens(made):
    files = list(EvidenceFile.objects.select_related(
        "response__assessment__partnership__local_authority__region"))
    assert {f.response.assessment_id for f in files} == {a.pk for a in made.values()}
    mismatches, readable = [], set()
    for evidence in files:
        assessment = evidence.response.assessment
        for who, email in _people(assessment).items():
            client = Client()
            if email:
                client.force_login(_user(email))
            file_opens = _status(client, reverse("accreditation:evidence-download",
                                                 args=[evidence.pk])) == 200
            page_opens = _page_opens(client, assessment)
            if file_opens != page_opens:
                mismatches.append(f"{assessment} ({assessment.status}), {who}: file "
                                  f"{'opens' if file_opens else 'refused'}, page "
                                  f"{'opens' if page_opens else 'refused'}")
            if file_opens:
                readable.add((assessment.pk, who))
    assert not mismatches, "\n".join(mismatches)
    # And the rule itself: the partnership always; its region's reviewer and NRU once it was
    # submitted (a returned draft was); nobody else.
    for state, assessment in made.items():
        submitted = state != "draft"
        for who in _people(assessment):
            expected = who in ("its officer", "its chair") or (submitted and who in (
                "its region's reviewer", "NRU analyst", "NRU administrator"))
            assert ((assessment.pk, who) in readable) == expected, (state, who)


def test_the_queue_links_exactly_the_assessments_whose_review_page_opens(made):
    cycle = Cycle.objects.get(year_start=2003)
    for state, assessment in made.items():
        client = Client()
        client.force_login(_user(f"reviewer@{assessment.partnership.region.slug}.go.example"))
        queue = client.get(reverse("review:queue"), {"cycle": cycle.pk})
        assert queue.status_code == 200
        linked = {urlsplit(a).path for a in _links(queue.content.decode())}
        region = SelfAssessment.objects.filter(
            partnership__local_authority__region=assessment.partnership.region)
        pages = {a: reverse("review:assessment-detail", args=[a.pk]) for a in region}
        opening = {url for url in pages.values() if _status(client, url) == 200}
        # The cycle's rows, and the reviews due of any cycle above them.
        assert linked <= opening, state
        assert {url for a, url in pages.items() if a.cycle_id == cycle.pk} & linked == {
            url for a, url in pages.items() if a.cycle_id == cycle.pk} & opening, state
        detail = reverse("review:assessment-detail", args=[assessment.pk])
        assert (detail in linked) == (state != "draft"), state
        if state == "returned":
            assert assessment.status == Status.DRAFT and assessment.submitted_at is not None


class _Anchors(HTMLParser):
    def __init__(self, prefix: str):
        super().__init__()
        self.prefix, self.found = prefix, []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(self.prefix):
            self.found.append(href)


def _links(html: str) -> list[str]:
    """The links to reviewers' assessment pages on a page."""
    anchors = _Anchors(reverse("review:assessment-detail", args=[0]).rsplit("0/", 1)[0])
    anchors.feed(html)
    return anchors.found
