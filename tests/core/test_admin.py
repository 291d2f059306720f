"""The admin pages NRU administrators use: every registered model's list and (where any exists)
an object's page open for a superuser; records that change only through services are read-only
there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import SelfAssessmentFactory, UserFactory
from tests.row_snapshot import restored

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(restored(_superuser_and_rows))
    return client


def _superuser_and_rows():
    """A superuser, and rows for most models (events, decisions, ledger); built once per test
    process and restored per test (tests/row_snapshot.py)."""
    user = UserFactory(is_staff=True, is_superuser=True)
    SelfAssessmentFactory(accredited=True)
    return user


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m._meta.model_name}"
)
def test_every_admin_list_and_object_page_opens(admin_client, model):
    opts = model._meta
    listing = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert listing.status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        page = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert page.status_code == 200


@pytest.mark.parametrize("label", [
    "accreditation.selfassessment", "accreditation.accreditationevent", "accreditation.decision",
    "funding.releaseentry", "funding.allocation", "funding.recomputerequest",
    "reporting.apitoken", "reporting.apitokenuse",
])
def test_service_owned_records_cannot_be_added_changed_or_deleted_in_the_admin(rf, label):
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
