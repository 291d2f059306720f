"""Worlds restored from their rows (tests/row_snapshot.py): the same rows and objects as a build,
a fresh copy each test, nothing left after it, and a build where restoring would differ."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from core.models import User
from partnerships.models import Partnership, Region
from tests.factories import PartnershipFactory, RegionFactory, UserFactory
from tests.row_snapshot import all_tables, read_rows, restored

pytestmark = pytest.mark.django_db


def _two_partnerships() -> dict:
    region = RegionFactory(name="West Midlands", slug="west-midlands")
    return {"walsall": PartnershipFactory(local_authority__name="Walsall",
                                          local_authority__region=region),
            "sandwell": PartnershipFactory(local_authority__name="Sandwell",
                                           local_authority__region=region)}


def _a_user_a_file_and_a_mail() -> User:
    default_storage.save("world/minutes.pdf", ContentFile(b"%PDF-1.4 minutes"))
    mail.send_mail("Built", "Sent while the world was built", "portal@example.test",
                   ["chair@walsall.test"])
    return UserFactory(email="chair@walsall.test")


def _renames_the_region() -> None:
    Region.objects.update(name="Changed")


def test_the_rows_and_objects_are_those_built():
    world = restored(_two_partnerships)
    assert Partnership.objects.count() == 2
    assert Partnership.objects.get(pk=world["walsall"].pk).slug == world["walsall"].slug
    assert world["walsall"].region.slug == "west-midlands"


def test_each_call_restores_the_same_rows_and_a_fresh_copy():
    tables = [t for t in all_tables() if t[0] in ("partnerships_partnership", "partnerships_region")]
    with transaction.atomic():  # as a test's own transaction is rolled back
        first = restored(_two_partnerships)
        rows = read_rows(tables)
        first["walsall"].name = "Changed in memory"
        transaction.set_rollback(True)
    assert not Partnership.objects.exists()
    again = restored(_two_partnerships)
    assert read_rows(tables) == rows
    assert again["walsall"] is not first["walsall"]
    assert again["walsall"].name != "Changed in memory"
    assert again["walsall"].pk == first["walsall"].pk


def test_a_test_that_created_rows_first_gets_a_world_built_on_them():
    RegionFactory(name="North West", slug="north-west")
    world = restored(_two_partnerships)
    assert Region.objects.count() == 2
    assert world["walsall"].region.slug == "west-midlands"


def test_files_and_mail_come_back_with_the_rows():
    for _ in range(2):
        with transaction.atomic():
            mail.outbox.clear()
            (Path(settings.MEDIA_ROOT) / "world" / "minutes.pdf").unlink(missing_ok=True)
            user = restored(_a_user_a_file_and_a_mail)
            assert User.objects.get(pk=user.pk).email == "chair@walsall.test"
            assert (Path(settings.MEDIA_ROOT) / "world" / "minutes.pdf").read_bytes() == \
                b"%PDF-1.4 minutes"
            assert [m.subject for m in mail.outbox] == ["Built"]
            transaction.set_rollback(True)


def test_a_builder_that_changes_rows_already_there_is_refused():
    RegionFactory(name="North West", slug="north-west")
    with pytest.raises(RuntimeError, match="changed or removed rows of partnerships_region"):
        restored(_renames_the_region)
    assert Region.objects.get().name == "North West"


def test_a_closure_is_refused():
    name = "Walsall"
    with pytest.raises(TypeError, match="module-level function"):
        restored(lambda: RegionFactory(name=name))


@pytest.mark.django_db(transaction=True)
def test_outside_a_tests_transaction_it_simply_builds():
    world = restored(_two_partnerships)
    assert Partnership.objects.count() == 2
    assert world["walsall"].pk


def test_nothing_is_left_after_a_test():
    assert not Partnership.objects.exists()
    assert not Region.objects.exists()
