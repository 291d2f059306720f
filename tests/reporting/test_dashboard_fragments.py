"""The partnership table's rows are rendered once per process for the same rows
(`{% rendered_once_for rows %}`, docs/adr/0024-figures-warmed-after-commit.md): the markup is
kept under a digest of the rows themselves, so any change to what a row shows is a new
rendering, and text typed by someone else stays escaped."""

import re

import pytest
from django.urls import reverse

from partnerships.models import LocalAuthority
from tests.factories import RoleAssignmentFactory

from .dashboard_world import build_world

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard-show")


def _row(html: str, slug: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row" data-partnership="{slug}">(.*?)</tr>', html,
                      re.S)
    assert match, slug
    return match.group(1)


def test_the_rows_follow_every_change_and_stay_escaped(client):
    world = build_world()
    client.force_login(RoleAssignmentFactory(analyst=True).user)
    first = client.get(DASHBOARD).content.decode()
    assert client.get(DASHBOARD).content.decode().count('data-partnership="') == 5
    assert "Walsall" in _row(first, "walsall")

    LocalAuthority.objects.filter(pk=world["partnerships"]["Walsall"].local_authority_id).update(
        name='Walsall <script>alert("x")</script>')
    changed = _row(client.get(DASHBOARD).content.decode(), "walsall")
    assert "<script>" not in changed
    assert "Walsall &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in changed

    sorted_by_held = client.get(DASHBOARD, {"sort": "held", "order": "desc"}).content.decode()
    assert (re.findall(r'data-partnership="([a-z]+)"', sorted_by_held)
            != re.findall(r'data-partnership="([a-z]+)"', first))  # another order, other markup
    assert _row(sorted_by_held, "walsall") == changed  # the same row, the same markup
