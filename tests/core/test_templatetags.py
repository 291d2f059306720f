"""The GOV.UK template helpers: money, tags and the service navigation."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from core import registry
from core.templatetags.govuk import money
from partnerships.permissions import holds_any_role
from tests.factories import RoleAssignmentFactory, UserFactory


def render(source: str, **context) -> str:
    return Template("{% load govuk %}" + source).render(Context(context)).strip()


@pytest.mark.parametrize(
    ("pence", "digits", "shown"),
    [
        (300_000_000_00, "", "£300,000,000"),
        (123_456_789, "", "£1,234,567.89"),
        (100, "pence", "£1.00"),
        (0, "", "£0"),
        (-2_500, "", "-£25"),
        (None, "", ""),
    ],
)
def test_money_shows_whole_pence_as_pounds(pence, digits, shown):
    assert money(pence, digits) == shown
    assert render('{{ amount|money:"' + digits + '" }}', amount=pence) == shown


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        money(1.5)


@pytest.mark.parametrize(
    ("value", "label", "html"),
    [
        ("accredited", "Accredited", '<strong class="govuk-tag govuk-tag--green">Accredited</strong>'),
        ("deferred", "Deferred", '<strong class="govuk-tag govuk-tag--orange">Deferred</strong>'),
        ("illustrative", "Illustrative",
         '<strong class="govuk-tag govuk-tag--yellow">Illustrative</strong>'),
        ("something-new", "Something new", '<strong class="govuk-tag">Something new</strong>'),
    ],
)
def test_govuk_tag_colours_follow_the_value(value, label, html):
    assert render("{% govuk_tag value label %}", value=value, label=label) == html


def test_govuk_tag_escapes_its_label():
    html = render("{% govuk_tag 'draft' label %}", label="<b>Draft</b>")

    assert html == '<strong class="govuk-tag govuk-tag--grey">&lt;b&gt;Draft&lt;/b&gt;</strong>'


@pytest.mark.django_db
def test_service_navigation_follows_roles_and_marks_the_current_page(monkeypatch):
    monkeypatch.setattr(registry, "NAVIGATION", registry.Registry())
    # Registered out of order: the list follows `order`.
    registry.navigation_register("Queue", "core:sign-in", order=20,
                                 visible=holds_any_role("go_reviewer", "nru_admin"))
    registry.navigation_register("Home", "core:home", order=0)
    officer = RoleAssignmentFactory(officer=True).user
    reviewer = RoleAssignmentFactory(reviewer=True).user
    source = (
        "{% service_navigation_items as items %}"
        "{% for i in items %}{{ i.text }}:{{ i.current }}:{{ i.active }};{% endfor %}"
    )

    def items_for(user, path="/"):
        request = RequestFactory().get(path)
        request.user = user
        return render(source, request=request)

    assert items_for(officer) == "Home:True:False;"
    assert items_for(UserFactory()) == "Home:True:False;"
    assert items_for(reviewer) == "Home:True:False;Queue:False:False;"
    assert items_for(reviewer, "/sign-in/") == "Home:False:False;Queue:True:False;"
    # A page below a navigation item marks it active (aria-current="true"), not current.
    assert items_for(reviewer, "/sign-in/more/") == "Home:False:False;Queue:False:True;"


def test_service_navigation_is_empty_without_a_signed_in_user():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    assert render("{% service_navigation_items as items %}{{ items|length }}", request=request) == "0"
    assert render("{% service_navigation_items as items %}{{ items|length }}") == "0"
