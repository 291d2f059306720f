"""The training date page (/nru/training-date/): an NRU administrator moves a training service's
date forward; back, the same day or not a date is refused with the field's error and nothing
changes. (Who gets what from it, as every role: tests/security/permission_table.py.)"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from core import clock
from core.models import TrainingDate, TrainingDateMove
from tests.factories import RoleAssignmentFactory

pytestmark = pytest.mark.django_db

URL = reverse("reporting:training-date")


@pytest.fixture
def admin(client):
    user = RoleAssignmentFactory(admin=True, user__full_name="Nia Administrator").user
    client.force_login(user)
    return user


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def stored():
    return (list(TrainingDate.objects.values_list("today", flat=True)),
            TrainingDateMove.objects.count())


def move(client, day: str, month: str, year: str):
    return client.post(URL, {"to_0": day, "to_1": month, "to_2": year})


def test_the_page_says_today_and_offers_to_move_it(client, admin, training_clock):
    page = text(client.get(URL))
    assert "Today in this training service is 1 March 2002" in page
    assert "Move to" in page and "A date after 1 March 2002" in page
    assert "The date only moves forward" in page
    # The dashboard links to it for administrators.
    assert URL in client.get(reverse("reporting:dashboard-show")).content.decode()


def test_moving_forward_moves_everyone_and_is_listed(client, admin, training_clock):
    answer = move(client, "28", "3", "2002")
    assert answer.status_code == 302 and answer.url == URL
    assert clock.today() == dt.date(2002, 3, 28)
    page = text(client.get(URL))
    assert "Today in this training service is now 28 March 2002" in page  # the message
    assert "Today in this training service is 28 March 2002" in page
    assert "1 March 2002 28 March 2002 Nia Administrator" in page  # the history table
    move_row = TrainingDateMove.objects.first()
    assert (move_row.from_date, move_row.to_date, move_row.by) == (
        dt.date(2002, 3, 1), dt.date(2002, 3, 28), admin)
    # Every page, the banner included, is on the new date.
    assert "28 March 2002" in text(client.get(reverse("core:accessibility")))


@pytest.mark.parametrize(("day", "month", "year", "error"), [
    ("1", "3", "2002", "The new date must be after 1 March 2002: the training date only moves "
                       "forward"),
    ("28", "2", "2002", "The new date must be after 1 March 2002"),
    ("31", "2", "2002", "The new date must be a real date, like 28 3 2002"),
    ("28", "", "2002", "Enter the month"),
    ("", "", "", "Enter the new date"),
    ("x", "3", "2002", "Enter a valid date"),
])
def test_back_the_same_day_or_not_a_date_is_refused_and_nothing_changes(
        client, admin, training_clock, day, month, year, error):
    before = stored()
    answer = move(client, day, month, year)
    assert answer.status_code == 200
    page = text(answer)
    assert "There is a problem" in page
    assert error in page
    assert stored() == before
    assert clock.today() == dt.date(2002, 3, 1)


def test_on_the_real_date_there_is_no_page_even_for_an_administrator(client, admin, settings):
    settings.TRAINING_CLOCK = False
    assert client.get(URL).status_code == 404
    assert move(client, "28", "3", "2100").status_code == 404
    assert stored() == ([], 0)
