"""core's registries: the apps register their navigation, tag colours and home panels, so core
knows no domain. The registered navigation is the service's, role by role, in its order."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core import registry
from core.templatetags.govuk import service_navigation_items
from tests.factories import RoleAssignmentFactory, UserFactory

NAVIGATION = {
    "officer": ["Home /", "Your partnership /assessments/", "Targets /performance/"],
    "chair": ["Home /", "Your partnership /assessments/", "Targets /performance/"],
    "reviewer": ["Home /", "Review queue /review/", "Targets /performance/"],
    "analyst": ["Home /", "National dashboard /nru/", "Targets /performance/"],
    "admin": ["Home /", "National dashboard /nru/", "Targets /performance/",
              "Release policies /funding/policies/"],
}


def navigation_of(user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [f"{i['text']} {i['href']}" for i in service_navigation_items({"request": request})]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(NAVIGATION))
def test_each_role_gets_the_navigation_its_apps_registered_in_order(role):
    user = RoleAssignmentFactory(**{role: True}).user

    assert navigation_of(user) == NAVIGATION[role]


@pytest.mark.django_db
def test_a_user_without_a_role_sees_home_only():
    assert navigation_of(UserFactory()) == ["Home /"]


@pytest.mark.django_db
def test_roles_are_read_once_for_the_whole_navigation(django_assert_num_queries):
    user = RoleAssignmentFactory(admin=True).user

    with django_assert_num_queries(1):
        assert len(navigation_of(user)) == 4


def test_registering_a_url_name_again_replaces_its_entry(monkeypatch):
    monkeypatch.setattr(registry, "NAVIGATION", registry.Registry())
    registry.navigation_register("Later", "core:sign-in", order=20)
    registry.navigation_register("First", "core:home", order=10)
    registry.navigation_register("Earlier", "core:sign-in", order=5)

    assert [e.text for e in registry.NAVIGATION] == ["Earlier", "First"]


def test_the_apps_tag_colours_are_registered():
    assert registry.tag_colour("illustrative") == "yellow"  # core: provenance
    assert registry.tag_colour("accredited_with_concerns") == "turquoise"  # accreditation
    assert registry.tag_colour("amber") == "yellow"  # accreditation and performance agree
    assert registry.tag_colour("something-new") is None


def test_a_value_cannot_get_two_colours(monkeypatch):
    monkeypatch.setattr(registry, "TAG_COLOURS", {})
    registry.tag_colours_register({"red": "red"})
    registry.tag_colours_register({"red": "red"})  # the same colour again is fine

    with pytest.raises(ImproperlyConfigured, match="'red' is already 'red'; it cannot also be 'pink'"):
        registry.tag_colours_register({"red": "pink"})
    assert registry.TAG_COLOURS == {"red": "red"}


def test_panels_come_in_order_and_a_panel_with_nothing_to_show_is_left_out(monkeypatch):
    monkeypatch.setattr(registry, "PANELS", {})
    request = RequestFactory().get("/")
    registry.home_panel_register("second", template="b.html", order=20,
                                 context=lambda request: {"n": 2})
    registry.home_panel_register("hidden", template="c.html", order=15, context=lambda request: None)
    registry.home_panel_register("first", template="a.html", order=10,
                                 context=lambda request: {"path": request.path})
    registry.panel_register("elsewhere", "other", template="d.html", order=1,
                            context=lambda request, **page: page)

    assert registry.home_panels_for(request) == [
        {"name": "first", "template": "a.html", "context": {"path": "/"}},
        {"name": "second", "template": "b.html", "context": {"n": 2}},
    ]
    assert registry.panels_for("elsewhere", request, partnership="p") == [
        {"name": "other", "template": "d.html", "context": {"partnership": "p"}},
    ]
    assert registry.panels_for("nowhere", request) == []
