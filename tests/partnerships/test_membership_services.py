"""Members of a partnership: added, changed and removed through services; one chair at most;
the key sectors a partnership lacks are named."""

import pytest

from core.errors import ApplicationError
from partnerships.models import Member, Sector
from partnerships.selectors import members_missing_key_sectors
from partnerships.services import member_add, member_remove, member_update
from tests.factories import MemberFactory, PartnershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership():
    return PartnershipFactory()


@pytest.fixture
def officer():
    return UserFactory()


def test_a_member_is_added_with_its_sector_and_role(partnership, officer):
    member = member_add(partnership=partnership, by=officer, organisation="  Walsall Council ",
                        sector=Sector.PUBLIC, representative="Cllr Smith", role=Member.Role.CHAIR)

    assert (member.organisation, member.sector, member.role) == ("Walsall Council", "public", "chair")
    assert partnership.members.get() == member


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"organisation": " "}, "organisation", "Enter the name of the organisation"),
        ({"organisation": "x" * 201}, "organisation", "200 characters or fewer"),
        ({"representative": "x" * 151}, "representative", "150 characters or fewer"),
        ({"sector": "church"}, "sector", "Select the organisation's sector"),
        ({"role": "treasurer"}, "role", "Select whether the organisation chairs"),
        ({"organisation": "walsall council"}, "organisation", "already a member"),
        ({"role": Member.Role.CHAIR}, "role", "Walsall Council already chairs the partnership"),
    ],
)
def test_bad_member_details_are_refused_with_the_field_named(partnership, officer, fields, field,
                                                             message):
    MemberFactory(partnership=partnership, organisation="Walsall Council", chair=True)
    values = {"organisation": "Walsall Housing Group", "sector": Sector.VOLUNTARY,
              "representative": "", "role": Member.Role.MEMBER, **fields}

    with pytest.raises(ApplicationError) as refused:
        member_add(partnership=partnership, by=officer, **values)

    assert message in refused.value.message and refused.value.extra["field"] == field
    assert partnership.members.count() == 1


def test_the_chair_keeps_its_role_when_its_other_details_change(partnership, officer):
    chair = MemberFactory(partnership=partnership, organisation="Council", chair=True)

    member_update(member=chair, by=officer, organisation="Borough Council", sector=Sector.PUBLIC,
                  role=Member.Role.CHAIR)

    chair.refresh_from_db()
    assert (chair.organisation, chair.role) == ("Borough Council", "chair")


def test_another_partnerships_chair_does_not_count(partnership, officer):
    MemberFactory(chair=True)

    member = member_add(partnership=partnership, by=officer, organisation="Council",
                        sector=Sector.PUBLIC, role=Member.Role.CHAIR)

    assert member.role == Member.Role.CHAIR


def test_removing_a_member_twice_is_harmless(partnership, officer):
    member = MemberFactory(partnership=partnership)

    member_remove(member=member, by=officer)
    member_remove(member=member, by=officer)

    assert not partnership.members.exists()


def test_updating_a_removed_member_is_refused_plainly(partnership, officer):
    member = MemberFactory(partnership=partnership)
    member_remove(member=member, by=officer)

    with pytest.raises(ApplicationError, match="has been removed"):
        member_update(member=member, by=officer, organisation="X", sector=Sector.PUBLIC)


@pytest.mark.parametrize(
    ("sectors", "missing"),
    [
        ([], ["public", "private or business", "community", "voluntary"]),
        ([Sector.PUBLIC, Sector.BUSINESS], ["community", "voluntary"]),
        ([Sector.PUBLIC, Sector.PRIVATE, Sector.COMMUNITY, Sector.FAITH], ["voluntary"]),
        ([Sector.PUBLIC, Sector.PRIVATE, Sector.COMMUNITY, Sector.VOLUNTARY], []),
    ],
)
def test_missing_key_sectors_are_named(partnership, sectors, missing):
    for sector in sectors:
        MemberFactory(partnership=partnership, sector=sector)

    assert members_missing_key_sectors(partnership) == missing
