"""accreditation's parts of the membership page (registered in core's panels, so partnerships
does not import accreditation): the way back to the self-assessment, and where a draft says how
it addresses a missing key sector."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Sector
from tests.factories import (
    CycleFactory,
    MemberFactory,
    PartnershipFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

pytestmark = pytest.mark.django_db

HINT = "If you cannot fill the gap before you submit"


def _page(client, partnership) -> str:
    officer = RoleAssignmentFactory(officer=True, partnership=partnership).user
    client.force_login(officer)
    response = client.get(reverse("partnerships:member-list", args=[partnership.slug]))
    assert response.status_code == 200
    return response.content.decode()


def _back_link(html) -> tuple[str, str]:
    found = re.search(r'<a href="([^"]+)" class="govuk-back-link">([^<]+)</a>', html)
    return found.groups() if found else None


def test_without_an_assessment_the_way_back_is_the_partnerships_home(client):
    partnership = PartnershipFactory()
    MemberFactory(partnership=partnership, sector=Sector.PUBLIC)

    html = _page(client, partnership)

    assert _back_link(html) == (reverse("accreditation:home"), "Back to your partnership")
    assert 'id="missing-sectors"' in html
    assert HINT not in html


def test_the_way_back_is_the_newest_assessment_and_a_draft_gets_the_r2_hint(client):
    partnership = PartnershipFactory()
    MemberFactory(partnership=partnership, sector=Sector.PUBLIC)
    SelfAssessmentFactory(partnership=partnership, cycle=CycleFactory(year_start=2002), accredited=True)
    newest = SelfAssessmentFactory(partnership=partnership, cycle=CycleFactory(year_start=2003))

    html = _page(client, partnership)

    assert _back_link(html) == (reverse("accreditation:assessment-tasks", args=[newest.pk]),
                                "Back to the 2003/04 self-assessment")
    edit = reverse("accreditation:response-edit", args=[newest.pk, "R2"])
    assert f'<a class="govuk-link" href="{edit}#id_inclusiveness_note">' in html


def test_no_hint_once_submitted_nor_when_no_sector_is_missing(client):
    partnership = PartnershipFactory()
    MemberFactory(partnership=partnership, sector=Sector.PUBLIC)
    submitted = SelfAssessmentFactory(partnership=partnership, submitted=True)

    html = _page(client, partnership)

    assert _back_link(html)[1] == f"Back to the {submitted.cycle.name} self-assessment"
    assert 'id="missing-sectors"' in html
    assert HINT not in html

    complete = PartnershipFactory()
    for sector in (Sector.PUBLIC, Sector.BUSINESS, Sector.VOLUNTARY, Sector.COMMUNITY):
        MemberFactory(partnership=complete, sector=sector)
    SelfAssessmentFactory(partnership=complete)

    html = _page(client, complete)

    assert 'id="missing-sectors"' not in html
    assert HINT not in html
