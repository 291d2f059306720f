"""A published record that never changes: what was announced for a cycle is kept exactly as
announced (which partnerships, which status, which figures, the written answer's text), and the
decisions since appear beneath it as dated updates. Nothing of a cycle shows before its
announcement date on the service's clock; its downloads exist only for NRU staff until then."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accreditation.models import Decision, SelfAssessment
from accreditation.services.decisions import Concern, assessment_accredit, assessment_defer
from accreditation.services.review import assessment_start_review
from reporting import published
from reporting.announcements import announcement_get_or_take, announcements_take_due
from reporting.models import AnnouncedDecision, Announcement
from tests.factories import (
    AllocationFactory,
    CycleFactory,
    FinancialYearFactory,
    ReleasePolicyFactory,
    RoleAssignmentFactory,
    SelfAssessmentFactory,
)

from .dashboard_world import build_world
from .service_date import service_date

pytestmark = pytest.mark.django_db

LIST = reverse("reporting_public:decisions-list")
SHOW_2002 = reverse("reporting_public:decisions-show", args=[2002])
WALSALL_UPDATE = ("28 March 2002: Walsall LSP accredited following review by the Government "
                  "Office for West Midlands; its remaining NRF 2002/03 allocation released")


@pytest.fixture
def world(db):
    return build_world()


def _reviewer(world):
    return RoleAssignmentFactory(reviewer=True, region=world["regions"]["west-midlands"]).user


def _assessment(world, name: str) -> SelfAssessment:
    return SelfAssessment.objects.get(partnership=world["partnerships"][name], cycle=world["cycle"])


def accredit_walsall_on_review(world, on=dt.date(2002, 3, 28)):
    """Walsall's review, as the West Midlands reviewer records it."""
    reviewer = _reviewer(world)
    assessment = assessment_start_review(assessment=_assessment(world, "Walsall"), by=reviewer,
                                         today=on)
    return assessment_accredit(assessment=assessment, by=reviewer, on=on,
                               summary="Accredited on review")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _answer(html: str) -> str:
    """The written answer of 2002/03 as text: from its first words to the end of its tables."""
    start = html.index('id="cycle-2002"')
    end = html.index("Figures marked illustrative", start)
    return _text(html[start:end])


def _updates(html: str) -> list[str]:
    if 'id="updates-2002"' not in html:
        return []
    block = html[html.index('id="updates-2002"'):]
    block = block[:block.index("</ul>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def _record(announcement: Announcement) -> tuple:
    lines = list(AnnouncedDecision.objects.filter(announcement=announcement)
                 .order_by("position").values())
    totals = Announcement.objects.filter(pk=announcement.pk).values().get()
    return totals, lines


def test_the_record_keeps_what_was_announced_after_a_later_decision(client, world):
    html = client.get(LIST).content.decode()
    announced = _answer(html)
    assert "2 partnerships have been accredited and 1 deferred pending review" in announced
    assert _updates(html) == []
    announcement = Announcement.objects.get(cycle=world["cycle"])
    record = _record(announcement)

    accredit_walsall_on_review(world)

    html = client.get(LIST).content.decode()
    assert _answer(html) == announced  # text and figures, word for word
    assert "Walsall Deferred pending review (review by 28 March 2002) £6,123,456.79" in _answer(html)
    assert _updates(html) == [WALSALL_UPDATE]
    assert html.index("Figures marked illustrative") < html.index('id="updates-2002"')  # beneath
    assert _record(Announcement.objects.get(pk=announcement.pk)) == record
    show = client.get(SHOW_2002).content.decode()
    assert _answer(show) == announced
    assert _updates(show) == [WALSALL_UPDATE]
    assert '<time datetime="2002-03-28">28 March 2002</time>' in show


def test_the_record_states_the_figures_as_announced(world):
    announcement = announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1))
    walsall_released = 612_345_679 * 67 // 100
    # accredited in full, Walsall at 67%, Sandwell (under review) and Wolverhampton nothing
    released = 300_000_001 + 450_000_000 + walsall_released
    assert (announcement.partnerships, announcement.accredited, announcement.deferred,
            announcement.undecided) == (5, 2, 1, 2)
    assert announcement.allocation_pence == 2_562_345_680
    assert announcement.released_pence == released
    assert announcement.held_pence == 2_562_345_680 - released
    assert announcement.announced_on == dt.date(2002, 2, 28)
    assert "£25,623,456.80" in announcement.answer
    walsall = announcement.decisions.get(authority="Walsall")
    assert (walsall.status, walsall.review_date, walsall.released_pence, walsall.held_pence) == (
        "deferred", dt.date(2002, 3, 28), walsall_released, 612_345_679 - walsall_released)
    assert walsall.last_decision.outcome == "deferred"


def test_a_decision_dated_after_the_announcement_is_an_update_even_if_recorded_first(client, world):
    """Nobody read the page before Walsall's review was recorded: the record is still what was
    announced on 28 February, because the review's decision took effect on 28 March."""
    accredit_walsall_on_review(world)
    assert not Announcement.objects.exists()
    html = client.get(SHOW_2002).content.decode()
    assert "2 partnerships have been accredited and 1 deferred pending review" in html
    assert "Walsall Deferred pending review (review by 28 March 2002)" in _answer(html)
    assert _updates(html) == [WALSALL_UPDATE]


def test_the_downloads_carry_the_announced_status_and_the_current_one(client, world):
    client.get(LIST)
    accredit_walsall_on_review(world)
    csv_rows = list(csv.DictReader(io.StringIO(
        b"".join(client.get(reverse("reporting_public:decisions-csv", args=[2002]))
                 .streaming_content).decode())))
    walsall = next(r for r in csv_rows if r["authority"] == "Walsall")
    assert {k: walsall[k] for k in ("announced_on", "status_announced", "review_date_announced",
                                    "status_current", "status_current_label",
                                    "status_current_since", "review_date_current")} == {
        "announced_on": "2002-02-28", "status_announced": "deferred",
        "review_date_announced": "2002-03-28", "status_current": "accredited",
        "status_current_label": "Accredited", "status_current_since": "2002-03-28",
        "review_date_current": "",
    }
    assert walsall["released_at_announcement_pence"] == str(612_345_679 * 67 // 100)
    gateshead = next(r for r in csv_rows if r["authority"] == "Gateshead")
    assert (gateshead["status_announced"], gateshead["status_current"],
            gateshead["status_current_since"]) == ("accredited", "accredited", "2002-02-28")

    data = json.loads(client.get(reverse("reporting_public:decisions-json", args=[2002])).content)
    by_name = {d["authority"]: d for d in data["decisions"]}
    assert (by_name["Walsall"]["status_announced"], by_name["Walsall"]["status_current"],
            by_name["Walsall"]["status_current_since"]) == ("deferred", "accredited", "2002-03-28")
    assert data["updates_since_announcement"] == [{
        "on": "2002-03-28", "partnership": "Walsall LSP",
        "text": WALSALL_UPDATE.removeprefix("28 March 2002: "),
    }]


def test_updates_are_dated_in_order_and_say_what_they_released(client, world):
    """Sandwell (under review at the announcement) deferred on 20 March, then Walsall accredited
    on review on 28 March, recorded in the other order: listed by the date each took effect."""
    client.get(LIST)
    accredit_walsall_on_review(world)
    sandwell = _assessment(world, "Sandwell")
    first = sandwell.cycle.requirements.order_by("order").first()
    assessment_defer(assessment=sandwell, by=_reviewer(world), on=dt.date(2002, 3, 20),
                     review_date=dt.date(2002, 4, 30),
                     concerns=[Concern(requirement=first, concern="Not yet shown.",
                                       action_required="Show it.")])
    assert _updates(client.get(LIST).content.decode()) == [
        "20 March 2002: Sandwell LSP deferred by the Government Office for West Midlands, to be "
        "reviewed by 30 April 2002; 67% of its NRF 2002/03 allocation released",
        WALSALL_UPDATE,
    ]


def test_the_record_cannot_be_changed(world):
    announcement = announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1))
    line = announcement.decisions.first()
    line.status = "accredited"
    for attempt in (line.save, line.delete, announcement.save, announcement.delete,
                    lambda: AnnouncedDecision.objects.update(status="accredited"),
                    lambda: Announcement.objects.all().delete()):
        with pytest.raises(ValidationError, match="kept as announced"):
            attempt()


def test_taking_it_again_takes_nothing(world):
    first = announcements_take_due(today=dt.date(2002, 3, 1))
    assert [a.cycle for a in first] == [world["cycle"]]
    assert announcements_take_due(today=dt.date(2002, 3, 1)) == []
    assert announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1)) == first[0]
    assert Announcement.objects.count() == 1
    assert AnnouncedDecision.objects.count() == 5


def test_nothing_is_taken_before_the_announcement_date(world):
    assert announcements_take_due(today=dt.date(2002, 2, 27)) == []
    assert announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 2, 27)) is None
    assert not Announcement.objects.exists()
    assert [a.announced_on for a in announcements_take_due(today=dt.date(2002, 2, 28))] == [
        dt.date(2002, 2, 28)]


def test_the_beat_task_takes_what_is_due(world, settings):
    from reporting.tasks import announcements_take_due as task

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reporting.announcements_take_due" in schedule
    with service_date(dt.date(2002, 2, 27)):
        assert task.delay().get() == 0
    with service_date(dt.date(2002, 2, 28)):
        assert task.delay().get() == 1
        assert task.delay().get() == 0
    assert Announcement.objects.get().recorded_at.date() == dt.date(2002, 2, 28)


# --- A cycle not yet announced ------------------------------------------------------------------


@pytest.fixture
def next_cycle(world):
    """2003/04, open and due to be announced on 28 February 2003, with NRF 2003/04 governed by it
    and Walsall already accredited in it (dated 10 February 2003)."""
    cycle = CycleFactory(year_start=2003)
    year = FinancialYearFactory(start_year=2003)
    ReleasePolicyFactory(fund=world["nrf"], year=year, governing_cycle=cycle)
    for name, p in world["partnerships"].items():
        AllocationFactory(partnership=p, fund=world["nrf"], year=year,
                          amount_pence=987_654_321 if name == "Walsall" else 100_000_000)
    walsall = SelfAssessmentFactory(partnership=world["partnerships"]["Walsall"], cycle=cycle,
                                    state="accredited")
    Decision.objects.filter(assessment=walsall).update(decided_on=dt.date(2003, 2, 10))
    return cycle


def _as(client, role: str | None, world):
    client.logout()
    if role == "officer":
        client.force_login(RoleAssignmentFactory(
            officer=True, partnership=world["partnerships"]["Walsall"]).user)
    elif role == "reviewer":
        client.force_login(_reviewer(world))
    elif role in ("analyst", "admin"):
        client.force_login(RoleAssignmentFactory(**{role: True}).user)
    return client


@pytest.mark.parametrize("role", [None, "officer", "reviewer", "analyst", "admin"])
def test_a_cycle_before_its_announcement_shows_nothing_public(client, world, next_cycle, role):
    """On 1 March 2002 (the demo's date) 2003/04 is not announced: no page, no link, nothing of
    it in the list, for anyone; its downloads 404 to everyone but NRU staff."""
    _as(client, role, world)
    with service_date(dt.date(2002, 3, 1)):
        listing = client.get(LIST).content.decode()
        assert "2003/04" not in listing
        assert "£9,876,543.21" not in listing
        assert "/decisions/2003" not in listing
        assert [c["cycle"].year_start for c in client.get(LIST).context["cycles"]] == [2002]
        assert client.get(reverse("reporting_public:decisions-show", args=[2003])).status_code == 404
        csv_response = client.get(reverse("reporting_public:decisions-csv", args=[2003]))
        json_response = client.get(reverse("reporting_public:decisions-json", args=[2003]))
    assert not Announcement.objects.filter(cycle=next_cycle).exists()
    if role in ("analyst", "admin"):
        assert csv_response.status_code == json_response.status_code == 200
        assert "no-store" in csv_response["Cache-Control"]
        rows = {r["authority"]: r for r in csv.DictReader(io.StringIO(
            b"".join(csv_response.streaming_content).decode()))}
        assert (rows["Walsall"]["announced_on"], rows["Walsall"]["status_announced"],
                rows["Walsall"]["status_current"]) == ("", "", "accredited")
        assert rows["Walsall"]["allocation_pence"] == "987654321"
        data = json.loads(json_response.content)
        assert (data["announced"], data["announced_on"]) == (False, None)
    else:
        assert csv_response.status_code == json_response.status_code == 404


def test_the_cycle_is_announced_on_its_date(client, world, next_cycle):
    with service_date(dt.date(2003, 2, 28)):
        html = client.get(reverse("reporting_public:decisions-show", args=[2003])).content.decode()
        assert "On 28 February 2003 the outcome of the 2003/04 accreditation" in html
        assert "1 partnership has been accredited; 4 have yet to be decided" in html
        assert "£9,876,543.21" in html
        listing = client.get(LIST)
    assert [c["cycle"].year_start for c in listing.context["cycles"]] == [2003, 2002]


# --- Taking it once, whoever asks at the same time ---------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgresql")
def test_concurrent_first_readers_take_one_record():
    """Eight first readers at once, each in its own connection: one record, and every reader
    gets it."""
    import threading

    from django.db import connections

    world = build_world()
    barrier = threading.Barrier(8)
    got, errors = [], []

    def reader():
        try:
            cycle = type(world["cycle"]).objects.get(pk=world["cycle"].pk)
            barrier.wait(10)
            got.append(announcement_get_or_take(cycle=cycle, today=dt.date(2002, 3, 1)).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(got) == 8 and len(set(got)) == 1
    assert Announcement.objects.count() == 1
    assert AnnouncedDecision.objects.count() == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgresql")
def test_the_database_refuses_to_change_the_record():
    """Raw SQL too: PostgreSQL's trigger refuses an update or a delete of what was announced."""
    from django.db import IntegrityError, connection, transaction

    world = build_world()
    announcement = announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1))
    for sql in ("UPDATE reporting_announceddecision SET status = 'accredited'",
                "DELETE FROM reporting_announceddecision",
                "UPDATE reporting_announcement SET accredited = 88",
                "DELETE FROM reporting_announcement"):
        with pytest.raises(IntegrityError, match="kept as announced"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql)
    assert _record(announcement) == _record(Announcement.objects.get(pk=announcement.pk))


def test_published_lines_read_current_status_in_one_query(world, django_assert_num_queries):
    announcement = announcement_get_or_take(cycle=world["cycle"], today=dt.date(2002, 3, 1))
    accredit_walsall_on_review(world)
    with django_assert_num_queries(1):
        lines = {line.authority: line for line in published.announced_lines(announcement)}
    assert (lines["Walsall"].status, lines["Walsall"].status_current,
            lines["Walsall"].changed_on) == ("deferred", "accredited", dt.date(2002, 3, 28))
    assert (lines["Sandwell"].status_current, lines["Sandwell"].changed_on) == ("undecided", None)
