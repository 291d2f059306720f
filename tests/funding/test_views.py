"""Release policy pages: NRU administrators only, validated input, a confirmation step."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import PolicyChange, RecomputeRequest, ReleaseOverride
from tests.factories import PartnershipFactory, RoleAssignmentFactory

from .conftest import make_scenario

pytestmark = pytest.mark.django_db

PAGES = ["releasepolicy-list", "releasepolicy-detail", "releasepolicy-change",
         "releasepolicy-override"]


def _url(name, policy):
    return reverse(f"funding:{name}", args=[] if name.endswith("list") else [policy.pk])


@pytest.fixture
def policy(walsall):
    return walsall.policy


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client, policy, page, method):
    response = getattr(client, method)(_url(page, policy))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:sign-in"))


@pytest.mark.parametrize("role", ["officer", "chair", "reviewer", "analyst", None])
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_everyone_but_an_nru_administrator_gets_404(client, walsall, role, page, method):
    user = RoleAssignmentFactory(**{role: True}).user if role else RoleAssignmentFactory(
        officer=True).user
    if role is None:
        user.role_assignments.all().delete()
    client.force_login(user)
    data = {"accredited": "100", "deferred": "70", "undecided": "0", "reason": "x",
            "confirm": "yes", "seen": walsall.policy.updated_at.isoformat()}
    response = getattr(client, method)(_url(page, walsall.policy), data)
    assert response.status_code == 404
    walsall.policy.refresh_from_db()
    assert walsall.policy.fraction_deferred == Decimal("0.67")
    assert not PolicyChange.objects.exists()


@pytest.mark.parametrize("page", PAGES)
def test_an_nru_administrator_sees_every_page(client, walsall, page):
    client.force_login(walsall.admin)
    response = client.get(_url(page, walsall.policy))
    assert response.status_code == 200
    assert "funding/releasepolicy_" in response.templates[0].name


def test_an_unknown_policy_is_404(client, walsall):
    client.force_login(walsall.admin)
    assert client.get(reverse("funding:releasepolicy-detail", args=[999])).status_code == 404


def _post(client, policy, data, page="releasepolicy-change"):
    policy.refresh_from_db()
    return client.post(_url(page, policy), {"seen": policy.updated_at.isoformat(), **data})


def test_the_form_shows_the_current_shares(client, walsall):
    client.force_login(walsall.admin)
    response = client.get(_url("releasepolicy-change", walsall.policy))
    content = response.content.decode()
    assert 'value="67"' in content and 'value="100"' in content
    assert "67% while deferred" in content


def test_a_change_is_confirmed_with_the_number_of_partnerships_affected(client, walsall):
    make_scenario(name="Sandwell")
    client.force_login(walsall.admin)
    data = {"accredited": "100", "deferred": "70", "undecided": "0", "reason": "Ministerial decision"}
    response = _post(client, walsall.policy, data)
    assert response.status_code == 200
    assert response.templates[0].name == "funding/releasepolicy_confirm.html"
    content = response.content.decode()
    assert "2 partnerships" in content
    assert "67%" in content and "70%" in content
    assert not PolicyChange.objects.exists()  # nothing yet

    response = _post(client, walsall.policy, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == _url("releasepolicy-detail", walsall.policy)
    change = PolicyChange.objects.get()
    assert (change.changed_by, change.reason) == (walsall.admin, "Ministerial decision")
    walsall.policy.refresh_from_db()
    assert walsall.policy.fraction_deferred == Decimal("0.7")
    assert RecomputeRequest.objects.filter(cause="policy_change").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "recomputed for 2 partnerships" in page
    assert "Ministerial decision" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"deferred": "101"}, "The percentage released while deferred must be 100 or less"),
        ({"deferred": "-1"}, "The percentage released while deferred must be 0 or more"),
        ({"deferred": "sixty"}, "The percentage released while deferred must be a number"),
        ({"deferred": "67.125"}, "at most 2 decimal places"),
        ({"deferred": ""}, "Enter the percentage released while deferred"),
        ({"reason": ""}, "Enter the reason for the change"),
        ({"accredited": "60"}, "cannot be released more than an accredited one: 70% is more than 60%"),
        ({"deferred": "67"}, "Nothing was changed"),
    ],
)
def test_bad_input_is_shown_as_an_error_and_nothing_changes(client, walsall, data, message):
    client.force_login(walsall.admin)
    base = {"accredited": "100", "deferred": "70", "undecided": "0", "reason": "Because"}
    response = _post(client, walsall.policy, {**base, **data, "confirm": "yes"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert message in content
    assert not PolicyChange.objects.exists()


def test_a_stale_page_is_refused(client, walsall):
    client.force_login(walsall.admin)
    data = {"accredited": "100", "deferred": "70", "undecided": "0", "reason": "Because",
            "confirm": "yes", "seen": "2002-01-01T00:00:00+00:00"}
    response = client.post(_url("releasepolicy-change", walsall.policy), data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert not PolicyChange.objects.exists()


def test_a_named_partnership_is_given_its_own_share_and_it_can_be_removed(client, walsall):
    make_scenario(name="Sandwell")
    client.force_login(walsall.admin)
    data = {"partnership": walsall.partnership.pk, "percent": "90", "reason": "No progress"}
    response = _post(client, walsall.policy, data, page="releasepolicy-override")
    content = response.content.decode()
    assert "1 partnership<" in content or "1 partnership</strong>" in content
    assert "As the policy says" in content and "90%" in content

    response = _post(client, walsall.policy, {**data, "confirm": "yes"}, page="releasepolicy-override")
    assert response.status_code == 302
    assert ReleaseOverride.objects.get().fraction == Decimal("0.9")
    assert RecomputeRequest.objects.filter(cause="policy_change").count() == 1

    response = _post(client, walsall.policy, {**data, "percent": "", "confirm": "yes"},
                     page="releasepolicy-override")
    assert response.status_code == 302
    assert not ReleaseOverride.objects.exists()


def test_only_partnerships_with_an_allocation_can_be_chosen(client, walsall):
    stranger = PartnershipFactory()
    client.force_login(walsall.admin)
    response = _post(client, walsall.policy, {"partnership": stranger.pk, "percent": "90",
                                              "reason": "x"}, page="releasepolicy-override")
    assert "Choose a partnership from the list" in response.content.decode()
    assert not ReleaseOverride.objects.exists()


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("analyst", False),
                                             ("reviewer", False), ("officer", False)])
def test_the_service_navigation_links_release_policies_for_administrators_only(client, walsall,
                                                                               role, shown):
    user = walsall.admin if role == "admin" else RoleAssignmentFactory(**{role: True}).user
    client.force_login(user)
    content = client.get(reverse("core:home")).content.decode()
    assert (f'href="{reverse("funding:releasepolicy-list")}"' in content) is shown


def test_shares_are_shown_as_plain_percentages():
    from funding.forms import as_percent
    from funding.templatetags.funding import percent

    assert [str(as_percent(Decimal(v))) for v in ("1.0000", "0.6700", "0.6750", "0")] == [
        "100", "67", "67.5", "0"]
    assert [percent(Decimal(v)) for v in ("1.0000", "0.6700", "0.0050")] == ["100%", "67%", "0.5%"]
    assert percent(None) == ""
