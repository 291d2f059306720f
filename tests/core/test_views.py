"""Sign-in, sign-out, the home page and the error pages."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from partnerships.models import Role
from partnerships.services import role_assign
from tests.factories import PASSWORD, RegionFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("core:sign-in")
SIGN_OUT = reverse("core:sign-out")
HOME = reverse("core:home")


def _walsall_officer():
    return RoleAssignmentFactory(
        officer=True,
        user__email="officer@walsall.lsp.example",
        partnership__local_authority__name="Walsall",
        partnership__local_authority__region__name="West Midlands",
    ).user


def _signed_in(client):
    return "_auth_user_id" in client.session


def test_sign_in_page_renders_the_govuk_form(client):
    response = client.get(SIGN_IN)

    assert response.status_code == 200
    assert "core/sign_in.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<title>Sign in – LSP Portal</title>" in html
    assert 'class="govuk-skip-link"' in html
    assert 'id="main-content"' in html
    assert 'type="email" name="username"' in html
    assert 'autocomplete="current-password"' in html
    assert "govuk-error-summary" not in html


def test_wrong_password_shows_the_error_summary_and_does_not_sign_in(client):
    user = _walsall_officer()

    response = client.post(SIGN_IN, {"username": user.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert not _signed_in(client)
    html = response.content.decode()
    assert "<title>Error: Sign in – LSP Portal</title>" in html
    assert "There is a problem" in html
    assert '<a href="#id_username">Email address or password is not correct</a>' in html
    assert "govuk-form-group--error" in html


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post(SIGN_IN, {"username": "nobody@example.test", "password": PASSWORD})

    assert "Email address or password is not correct" in response.content.decode()
    assert not _signed_in(client)


def test_empty_form_asks_for_both_fields(client):
    response = client.post(SIGN_IN, {"username": "", "password": ""})

    html = response.content.decode()
    assert '<a href="#id_username">Enter your email address</a>' in html
    assert '<a href="#id_password">Enter your password</a>' in html
    assert not _signed_in(client)


def test_email_is_matched_whatever_its_case(client):
    user = _walsall_officer()

    response = client.post(SIGN_IN, {"username": "  Officer@Walsall.LSP.example ", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == HOME
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize(
    ("trait", "role", "scope"),
    [
        ("officer", "LSP officer", "Walsall LSP (West Midlands)"),
        ("chair", "LSP chair", "Walsall LSP (West Midlands)"),
        ("reviewer", "Government Office reviewer", "Government Office for West Midlands"),
        ("analyst", "NRU analyst", "National: every partnership and region"),
        ("admin", "NRU administrator", "National: every partnership and region"),
    ],
)
def test_each_role_lands_on_home_with_its_scope(client, trait, role, scope):
    scope_kwargs = {
        "officer": {"partnership__local_authority__name": "Walsall",
                    "partnership__local_authority__region__name": "West Midlands"},
        "chair": {"partnership__local_authority__name": "Walsall",
                  "partnership__local_authority__region__name": "West Midlands"},
        "reviewer": {"region__name": "West Midlands"},
    }.get(trait, {})
    user = RoleAssignmentFactory(**{trait: True}, **scope_kwargs).user

    response = client.post(SIGN_IN, {"username": user.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(HOME, 302)]
    html = response.content.decode()
    assert "<title>Home – LSP Portal</title>" in html
    assert re.search(
        rf'<dt class="govuk-summary-list__key">{role}</dt>\s*'
        rf'<dd class="govuk-summary-list__value">{re.escape(scope)}</dd>',
        html,
    ), html


def test_a_user_with_several_roles_sees_them_all(client):
    user = _walsall_officer()
    walsall = user.role_assignments.get().partnership
    role_assign(user=user, role=Role.LSP_CHAIR, partnership=walsall)
    role_assign(user=user, role=Role.GO_REVIEWER, region=RegionFactory(name="London"))
    client.force_login(user)

    html = client.get(HOME).content.decode()

    assert "Your roles" in html
    keys = re.findall(r'<dt class="govuk-summary-list__key">([^<]+)</dt>', html)
    assert keys == ["Email address", "LSP officer", "LSP chair", "Government Office reviewer"]
    assert "Government Office for London" in html


def test_a_user_without_a_role_is_told_so(client):
    user = UserFactory(email="new@nru.example")
    client.force_login(user)

    response = client.get(HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert "You do not have a role in LSP Portal yet" in html
    assert "govuk-summary-list" not in html


def test_anonymous_home_redirects_to_sign_in(client):
    response = client.get(HOME)

    assert response.status_code == 302
    assert response.url == f"{SIGN_IN}?next={HOME}"


def test_sign_in_returns_to_the_page_asked_for(client):
    user = _walsall_officer()
    html = client.get(f"{SIGN_IN}?next=/admin/").content.decode()
    assert '<input type="hidden" name="next" value="/admin/">' in html

    response = client.post(SIGN_IN, {"username": user.email, "password": PASSWORD, "next": "/admin/"})

    assert response.url == "/admin/"


def test_sign_in_ignores_a_next_on_another_site(client):
    user = _walsall_officer()

    response = client.post(
        SIGN_IN, {"username": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response.url == HOME


def test_signed_in_user_visiting_sign_in_goes_home(client):
    client.force_login(_walsall_officer())

    assert client.get(SIGN_IN).url == HOME


def test_sign_out_is_a_post_and_says_so(client):
    client.force_login(_walsall_officer())

    assert client.get(SIGN_OUT).status_code == 405
    assert _signed_in(client)

    response = client.post(SIGN_OUT, follow=True)

    assert response.redirect_chain == [(SIGN_IN, 302)]
    assert not _signed_in(client)
    html = response.content.decode()
    assert "govuk-notification-banner--success" in html
    assert "You have signed out" in html
    assert client.get(HOME).status_code == 302


def test_header_offers_sign_out_to_signed_in_users_only(client):
    html = client.get(SIGN_IN).content.decode()
    assert "Sign out" not in html
    assert 'aria-current="page"' in html  # "Sign in" is the current page

    client.force_login(_walsall_officer())
    html = client.get(HOME).content.decode()
    assert f'<form method="post" action="{SIGN_OUT}"' in html
    assert "csrfmiddlewaretoken" in html


def test_repeated_failures_lock_the_account_with_a_govuk_page(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    user = _walsall_officer()

    # Changing the case of the address does not buy more attempts.
    for email in (user.email, user.email.upper()):
        response = client.post(SIGN_IN, {"username": email, "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post(SIGN_IN, {"username": user.email.title(), "password": "wrong-password"})

    assert response.status_code == 429
    html = response.content.decode()
    assert "You cannot sign in at the moment" in html
    assert "Wait 15 minutes" in html
    # Even the right password is refused now.
    response = client.post(SIGN_IN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not _signed_in(client)


def test_every_page_carries_a_nonce_csp_and_uses_it(client):
    response = client.get(SIGN_IN)

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 2
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "style=" not in html
    assert "unsafe-inline" not in policy


def test_unknown_page_is_a_govuk_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found – LSP Portal</title>" in html
    assert 'class="govuk-heading-l">Page not found</h1>' in html


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("400.html", "There is a problem with the request"),
        ("403.html", "You cannot do this"),
        ("403_csrf.html", "The page you were on has expired"),
        ("500.html", "Sorry, there is a problem with the service"),
    ],
)
def test_error_pages_render_without_a_request(template, heading):
    """Django renders 500.html with no context at all; none of them may depend on one."""
    html = render_to_string(template)

    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html
    assert "<script" not in html  # no request, no nonce: no inline script the CSP would refuse
