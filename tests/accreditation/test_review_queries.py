"""Query budgets for the reviewer's busiest pages: the review page, starting a review and the
accredit (decision) pages, each counted for the whole request (session, user and roles
included; measured after the first request since signing in, which also renews the
session). The review page's count does not grow with the partnership's members or the evidence
on each requirement. Measured before the budgets were set: review page 15, start 11, accredit
form 5, its confirm page 8, the confirmed decision 31 (the assessment's lock now brings its
partnership, authority, region and cycle in the same query: start 10, decision 27)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation.models import EvidenceFile, Status
from tests.factories import MemberFactory

from .test_review_views import fresh, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db

REVIEW_PAGE = 15
START = 10
ACCREDIT_FORM = 5
ACCREDIT_CONFIRM_PAGE = 8
ACCREDIT_DECIDED = 27


def _grow(world, n):  # noqa: F811 (the fixture imported above)
    """n more members, and n pieces of evidence on each requirement of the assessment."""
    for i in range(n):
        MemberFactory(partnership=world["walsall"], organisation=f"Member {i}")
    for response in world["assessment"].responses.all():
        for _ in range(n):
            EvidenceFile.objects.create(
                response=response, file="evidence/minutes.pdf", original_name="Minutes.pdf",
                content_type="application/pdf", size=100, uploaded_by=world["officer"])


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_review_page_within_budget_whatever_its_size(
        client, world, django_assert_max_num_queries):  # noqa: F811
    signed_in(client, world["reviewer"])
    detail = reverse("review:assessment-detail", args=[world["assessment"].pk])
    client.get(detail)  # the first request after signing in also renews the session
    small = _count(client, detail)
    _grow(world, 4)
    assert _count(client, detail) == small
    with django_assert_max_num_queries(REVIEW_PAGE):
        response = client.get(detail)
    assert response.context["member_count"] == 6
    assert all(len(r.evidence) == 4 for r in response.context["responses"])


def test_start_and_accredit_within_budget(client, world, django_assert_max_num_queries):  # noqa: F811
    signed_in(client, world["reviewer"])
    a = world["assessment"]
    client.get(reverse("review:assessment-detail", args=[a.pk]))  # renews the session
    with django_assert_max_num_queries(START):
        client.post(reverse("review:assessment-start", args=[a.pk]), {"version": a.version})
    a = fresh(a)
    assert a.status == Status.UNDER_REVIEW
    with django_assert_max_num_queries(REVIEW_PAGE):
        assert client.get(reverse("review:assessment-detail", args=[a.pk])).status_code == 200
    url = reverse("review:assessment-accredit", args=[a.pk])
    with django_assert_max_num_queries(ACCREDIT_FORM):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(ACCREDIT_CONFIRM_PAGE):
        confirm = client.post(url, {"version": a.version})
    assert b"Walsall will receive" in confirm.content
    with django_assert_max_num_queries(ACCREDIT_DECIDED):
        client.post(url, {"version": a.version, "confirm": "yes"})
    assert fresh(a).status == Status.ACCREDITED
