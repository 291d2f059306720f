"""The membership pages: the partnership's officers change them, its chair reads them, anyone
else gets 404; bad input gets a GOV.UK error, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from partnerships.models import Member, Sector
from tests.factories import MemberFactory, PartnershipFactory, RoleAssignmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partnership = PartnershipFactory()
    users = {
        "officer": RoleAssignmentFactory(officer=True, partnership=partnership).user,
        "chair": RoleAssignmentFactory(chair=True, partnership=partnership).user,
        "other_officer": RoleAssignmentFactory(
            officer=True, partnership__local_authority__region=partnership.region).user,
        "reviewer": RoleAssignmentFactory(reviewer=True, region=partnership.region).user,
        "analyst": RoleAssignmentFactory(analyst=True).user,
    }
    member = MemberFactory(partnership=partnership, organisation="Borough Council",
                           sector=Sector.PUBLIC, chair=True)
    return partnership, users, member


def client_for(world, who) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world[1][who])
    return client


def member_url(name, partnership, *args):
    return reverse(f"partnerships:member-{name}", args=[partnership.slug, *args])


ROLES = ["officer", "chair", "other_officer", "reviewer", "analyst", "anonymous"]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["list", "add", "change", "remove"])
def test_membership_pages_by_role(world, who, page):
    partnership, _, member = world
    target = (member_url(page, partnership) if page in ("list", "add")
              else member_url(page, partnership, member.pk))

    response = client_for(world, who).get(target)

    if who == "anonymous":
        assert response.status_code == 302
    elif who == "officer" or (who == "chair" and page == "list"):
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("who", ["chair", "other_officer", "reviewer", "analyst"])
def test_only_officers_can_change_members(world, who):
    partnership, _, member = world

    client = client_for(world, who)
    client.post(member_url("add", partnership), {"organisation": "X", "sector": "public",
                                                 "role": "member"})
    client.post(member_url("remove", partnership, member.pk))

    assert list(partnership.members.values_list("organisation", flat=True)) == ["Borough Council"]


def test_the_list_shows_sectors_and_warns_of_missing_ones(world):
    partnership, _, _ = world
    MemberFactory(partnership=partnership, sector=Sector.FAITH, organisation="Faith Forum")

    page = client_for(world, "chair").get(member_url("list", partnership)).content.decode()

    assert "Borough Council" in page and "Faith Forum" in page
    assert "No member is from the private or business, community, voluntary sectors" in page
    assert "Add a member" not in page  # the chair reads; officers change


def test_an_officer_adds_a_member(world):
    partnership, _, _ = world

    response = client_for(world, "officer").post(member_url("add", partnership), {
        "organisation": "Chamber of Commerce", "representative": "", "sector": "business",
        "role": "member"})

    assert response["Location"] == member_url("list", partnership)
    assert partnership.members.filter(organisation="Chamber of Commerce",
                                      sector=Sector.BUSINESS).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"organisation": "", "sector": "public", "role": "member"}, "Enter the name of the organisation"),
        ({"organisation": "X", "role": "member"}, "Select the organisation&#x27;s sector"),
        ({"organisation": "X", "sector": "church", "role": "member"},
         "Select the organisation&#x27;s sector"),
        ({"organisation": "X", "sector": "public", "role": "chair"},
         "Borough Council already chairs the partnership"),
        ({"organisation": "borough council", "sector": "public", "role": "member"},
         "is already a member"),
        ({"organisation": "x" * 201, "sector": "public", "role": "member"}, "200 characters or fewer"),
    ],
)
def test_bad_member_details_get_a_govuk_error(world, data, message):
    partnership, _, _ = world

    response = client_for(world, "officer").post(member_url("add", partnership), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="govuk-error-summary"' in page and message in page
    assert partnership.members.count() == 1


def test_an_officer_changes_and_removes_a_member(world):
    partnership, _, member = world
    client = client_for(world, "officer")

    client.post(member_url("change", partnership, member.pk), {
        "organisation": "Metropolitan Borough Council", "sector": "public", "role": "chair"})
    member.refresh_from_db()
    assert member.organisation == "Metropolitan Borough Council"

    confirm = client.get(member_url("remove", partnership, member.pk)).content.decode()
    assert "Are you sure you want to remove Metropolitan Borough Council?" in confirm
    client.post(member_url("remove", partnership, member.pk))
    assert not Member.objects.filter(pk=member.pk).exists()
    # Removing it again (a second click) is harmless; changing it is a 404.
    assert client.post(member_url("remove", partnership, member.pk)).status_code == 302
    assert client.get(member_url("change", partnership, member.pk)).status_code == 404


def test_another_partnerships_member_is_404_through_this_partnership(world):
    partnership, _, _ = world
    stranger = MemberFactory()

    response = client_for(world, "officer").get(member_url("change", partnership, stranger.pk))

    assert response.status_code == 404
