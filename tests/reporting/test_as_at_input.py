"""A bad `as_at` (not a real date, before the first financial year, after the clock's today):
a GOV.UK error on the pages (the error summary and the field's message, the figures as they
stand today, never a 500), 400 with the reason on the API."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from core import clock
from reporting.api_tokens import api_token_create
from tests.factories import RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

NOT_REAL = "must be a real date"
BAD = [
    ({"as_at": "2002-02-30"}, NOT_REAL),
    ({"as_at": "yesterday"}, NOT_REAL),
    ({"as_at": "2002-3-1"}, NOT_REAL),
    ({"as_at": "20020301"}, NOT_REAL),
    ({"as_at": "\x00"}, NOT_REAL),
    ({"as_at_0": "31", "as_at_1": "2", "as_at_2": "2002"}, NOT_REAL),
    ({"as_at_0": "1", "as_at_1": "", "as_at_2": "2002"}, "Enter the month"),
    ({"as_at": "2000-03-31"}, "must be 1 April 2001 or later"),
    ({"as_at_0": "31", "as_at_1": "3", "as_at_2": "2001"}, "must be 1 April 2001 or later"),
    ({"as_at": "2999-01-01"}, "must be today or earlier"),
]


@pytest.fixture
def world(db):
    world = build_world()
    world["analyst"] = RoleAssignmentFactory(analyst=True).user
    world["admin"] = RoleAssignmentFactory(admin=True).user
    return world


def _api_key(world) -> str:
    return api_token_create(name="As-at tests", valid_days=30, created_by=world["admin"])[1]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("url_name, args", [
    ("reporting:dashboard-show", []),
    ("reporting:partnership-show", ["walsall"]),
    ("funding:partnership-funding", ["walsall"]),
])
@pytest.mark.parametrize("params, message", BAD)
def test_pages_report_a_bad_day_and_show_today(client, world, url_name, args, params, message):
    client.force_login(world["analyst"])
    url = reverse(url_name, args=args)
    response = client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('class="govuk-error-summary"')[1].split("</div>")[0]
    assert "There is a problem" in html and message in _text(summary)
    assert re.search(r'href="#id_as_at_[012]"', summary)  # linked to the date input's boxes
    assert "govuk-error-message" in html.split('id="as-at-form"')[1]
    assert f"as at {clock.today():%-d %B %Y}" in _text(html)
    today = client.get(url)
    if url_name == "reporting:dashboard-show":
        assert response.context["headline"] == today.context["headline"]
    else:
        assert response.context["summary"] == today.context["summary"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_download_for_a_bad_day_is_refused_with_the_reason(client, world, fmt):
    client.force_login(world["analyst"])
    response = client.get(reverse(f"reporting:dashboard-export-{fmt}"), {"as_at": "2999-01-01"})
    assert response.status_code == 400
    assert "must be today or earlier" in response.content.decode()


@pytest.mark.parametrize("params, message", BAD)
def test_api_answers_400_with_the_reason(client, world, params, message):
    key = _api_key(world)
    response = client.get(reverse("reporting_api:allocation-list"), params,
                          HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 400
    assert message in response.json()["as_at"][0]


def test_api_accepts_a_good_day(client, world):
    key = _api_key(world)
    response = client.get(reverse("reporting_api:allocation-list"),
                          {"as_at": (clock.today() - dt.timedelta(days=1)).isoformat()},
                          HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["count"] == 5
