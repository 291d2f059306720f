"""Query budgets for sign-in and the home page, counted for the whole request. The sign-in
POST's throttling (django-axes with core/signin_throttle.py) costs at most 3 queries beyond the
sign-in itself: the lock check (account and address counts in one query), axes' clean-up of the
account's expired attempts, and the access log row. Measured before: 4 (the two counts were
separate queries); a failed sign-in 12, now 10."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD, RoleAssignmentFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("core:sign-in")
HOME = reverse("core:home")
SIGN_IN_ITSELF = 9
THROTTLING = 3
FAILED_SIGN_IN = 10
# An officer's home with nothing started: session, user and roles (3), then its sections of next
# steps: partnership, cycle, assessments (4), targets (1), the partnership's money (6) and the
# roles (1). Each role's home on the demo has its own budget in test_home_next_steps.py.
HOME_PAGE = 15


def _sign_in(client, user, password=PASSWORD):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(SIGN_IN, {"username": user.email, "password": password})
    return response, len(queries)


def test_sign_in_and_its_throttling_within_budget(client, settings):
    user = RoleAssignmentFactory(officer=True).user
    settings.AXES_ENABLED = False
    response, alone = _sign_in(client, user)
    assert response.status_code == 302 and alone <= SIGN_IN_ITSELF
    client.logout()
    settings.AXES_ENABLED = True
    response, throttled = _sign_in(client, user)
    assert response.status_code == 302
    assert throttled - alone <= THROTTLING, (alone, throttled)


def test_failed_sign_in_within_budget_and_still_counted(client, settings, django_assert_max_num_queries):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    user = RoleAssignmentFactory(officer=True).user
    with django_assert_max_num_queries(FAILED_SIGN_IN):
        response = client.post(SIGN_IN, {"username": user.email, "password": "wrong"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1


def test_home_page_within_budget(client, django_assert_max_num_queries):
    client.force_login(RoleAssignmentFactory(officer=True).user)
    client.get(HOME)  # the first request after signing in also renews the session
    with django_assert_max_num_queries(HOME_PAGE):
        assert client.get(HOME).status_code == 200
