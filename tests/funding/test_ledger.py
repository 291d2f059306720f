"""Release entries are only ever added: the model refuses changes everywhere, and PostgreSQL
itself refuses UPDATE and DELETE, whoever sends them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from funding.ledger import releases_recompute
from funding.models import ReleaseEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(walsall):
    releases_recompute(partnership=walsall.partnership)
    return ReleaseEntry.objects.get(allocation=walsall.nrf_2001)


def test_saving_an_existing_entry_is_refused(entry):
    entry.amount_pence += 1
    with pytest.raises(ValidationError, match="append-only"):
        entry.save()


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(ValidationError, match="append-only"):
        entry.delete()


def test_queryset_update_and_delete_are_refused(entry):
    with pytest.raises(ValidationError, match="append-only"):
        ReleaseEntry.objects.filter(pk=entry.pk).update(amount_pence=1)
    with pytest.raises(ValidationError, match="append-only"):
        ReleaseEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount_pence == entry.target_pence


def test_a_zero_entry_is_refused_by_the_database(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseEntry.objects.create(
            allocation=entry.allocation, amount_pence=0, target_pence=entry.target_pence,
            allocation_pence=entry.allocation_pence, fraction=entry.fraction,
            funding_state=entry.funding_state, cause=ReleaseEntry.Cause.MANUAL,
        )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE funding_releaseentry SET amount_pence = amount_pence + 1 WHERE id = %s",
        "DELETE FROM funding_releaseentry WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_raw_sql_update_and_delete_are_refused_on_postgresql(require_postgresql, entry, sql):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert ReleaseEntry.objects.filter(pk=entry.pk, amount_pence=entry.target_pence).exists()


def test_raw_sql_insert_is_allowed_on_postgresql(require_postgresql, entry):
    """Appending stays possible (the trigger is on UPDATE and DELETE only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funding_releaseentry (allocation_id, amount_pence, target_pence, "
            "allocation_pence, fraction, funding_state, cause, note, created_at, effective_on) "
            "SELECT allocation_id, 1, target_pence + 1, allocation_pence, fraction, "
            "funding_state, 'manual', '', created_at, effective_on FROM funding_releaseentry "
            "WHERE id = %s",
            [entry.pk],
        )
    assert ReleaseEntry.objects.filter(allocation=entry.allocation).count() == 2
