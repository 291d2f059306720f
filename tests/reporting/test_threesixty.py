"""360Giving open data of each announced cycle, on the February 2002 demo: valid against the
360Giving schema kept in the repository, one grant per partnership, fund and year with the
ledger's releases as disbursements (held money never reported as paid), and a spreadsheet that
flattentool turns back into the same grants.

The demo is loaded once for the module (in a transaction rolled back at the end)."""

import datetime as dt
import io
import json
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from flattentool import unflatten
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from core.models import Provenance, User
from funding.models import Allocation, Fund, ReleaseEntry
from reporting import published, threesixty

from .service_date import service_date

DEMO_DATE = dt.date(2002, 3, 1)
AFTER_2003_ANNOUNCEMENT = dt.date(2003, 3, 3)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def package_validator() -> Draft202012Validator:
    """The package schema, its grants' `$ref` resolved to the local grant schema (under the
    grant schema's own `$id` and the URL the package schema names), format checking on."""
    grant = json.loads(threesixty.GRANT_SCHEMA.read_text())
    package = json.loads(threesixty.PACKAGE_SCHEMA.read_text())
    resource = Resource.from_contents(grant, default_specification=DRAFT202012)
    registry = Registry().with_resources([
        (grant["$id"], resource), (package["properties"]["grants"]["items"]["$ref"], resource)])
    return Draft202012Validator(package, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json(client, year_start: int):
    response = client.get(reverse("reporting_public:decisions-360giving-json", args=[year_start]))
    assert response.status_code == 200, response.status_code
    return json.loads(response.content, parse_float=Decimal)


def _ledger_by_allocation() -> dict[int, list[int]]:
    paid = defaultdict(list)
    for allocation_id, amount in ReleaseEntry.objects.values_list("allocation_id", "amount_pence"):
        paid[allocation_id].append(amount)
    return paid


@pytest.mark.parametrize("today", [DEMO_DATE, AFTER_2003_ANNOUNCEMENT], ids=str)
def test_every_announced_cycle_is_valid_360giving(demo, client, today):
    validator = package_validator()
    with service_date(today):
        cycles = list(published.published_cycles(today=today))
        assert cycles
        for cycle in cycles:
            client.get(reverse("reporting_public:decisions-list"))  # the announcement is taken
            package = _json(client, cycle.year_start)
            errors = sorted(validator.iter_errors(package), key=str)
            assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
            allocations = Allocation.objects.filter(year__start_year=cycle.year_start,
                                                    fund__code__in=threesixty.FUNDS)
            assert len(package["grants"]) == allocations.count() == 88
            ids = [g["id"] for g in package["grants"]]
            assert len(set(ids)) == len(ids)
            assert all(i.startswith("360G-NRU-") for i in ids)
            awarded = sum(g["amountAwarded"] for g in package["grants"])
            assert awarded * 100 == sum(a.amount_pence for a in allocations)
            assert {g["awardDate"] for g in package["grants"]} == {
                cycle.announcement_date.isoformat()}


def test_disbursements_are_the_ledger_and_held_money_is_not_paid(demo, client):
    with service_date(DEMO_DATE):
        package = _json(client, 2002)
    paid = _ledger_by_allocation()
    grants = {g["beneficiaryLocation"][0]["name"]: g for g in package["grants"]}
    walsall = grants["Walsall"]
    allocation = Allocation.objects.get(partnership__slug="walsall", fund__code="NRF",
                                        year__start_year=2002)
    released = allocation.amount_pence * 67 // 100  # deferred: 67%, the rest held
    assert walsall["amountAwarded"] * 100 == allocation.amount_pence
    assert sum(t["value"] for t in walsall["disbursementTransaction"]) * 100 == released
    assert walsall["amountDisbursed"] * 100 == released == sum(paid[allocation.pk])
    assert all(t["transactionDate"] <= "2002-03-01" for t in walsall["disbursementTransaction"])
    assert walsall["recipientOrganization"][0]["name"] == allocation.partnership.name
    assert walsall["recipientOrganization"][0]["id"] == "360G-NRU-LSP-E08000030"
    assert walsall["fundingOrganization"] == [{"id": "360G-NRU",
                                               "name": "Neighbourhood Renewal Unit"}]
    assert walsall["beneficiaryLocation"][0] == {
        "name": "Walsall", "countryCode": "GB", "geoCode": "E08000030", "geoCodeType": "MD"}
    assert walsall["grantProgramme"] == [{"code": "NRF", "title": allocation.fund.name}]
    total_paid = sum(g["amountDisbursed"] for g in package["grants"]) * 100
    total_awarded = sum(g["amountAwarded"] for g in package["grants"]) * 100
    assert total_awarded - total_paid == allocation.amount_pence - released  # only Walsall held


def test_the_spreadsheet_unflattens_to_the_same_grants(demo, client):
    with service_date(DEMO_DATE):
        package = _json(client, 2002)
        response = client.get(reverse("reporting_public:decisions-360giving-xlsx", args=[2002]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="lsp-nru-awards-2002-03-360giving.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    assert "grants" in workbook.sheetnames and "disbursementTransaction" in workbook.sheetnames
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "grants.xlsx"
        source.write_bytes(response.content)
        output = Path(directory) / "grants.json"
        unflatten(str(source), input_format="xlsx", output_name=str(output),
                  root_list_path="grants", root_id="", schema=str(threesixty.GRANT_SCHEMA))
        unflattened = json.loads(output.read_text(), parse_float=Decimal)
    assert _normalised(unflattened["grants"]) == _normalised(package["grants"])


def _normalised(grants: list[dict]) -> list:
    """Grants compared as data: keys in any order, numbers as exact Decimals."""
    def norm(value):
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return Decimal(str(value)).quantize(Decimal("0.01"))
        return value
    return sorted((norm(g) for g in grants), key=lambda g: g["id"])


def test_an_unannounced_cycle_is_404_to_all_but_nru_staff(demo, client):
    with service_date(DEMO_DATE):
        for name in ("decisions-360giving-json", "decisions-360giving-xlsx"):
            url = reverse(f"reporting_public:{name}", args=[2003])
            assert client.get(url).status_code == 404
            client.force_login(User.objects.get(email="officer@walsall.lsp.example"))
            assert client.get(url).status_code == 404
            client.force_login(User.objects.get(email="analyst@nru.example"))
            assert client.get(url).status_code == 200
            client.logout()
        client.force_login(User.objects.get(email="analyst@nru.example"))
        preview = _json(client, 2003)
    assert "not yet announced" in preview["description"]
    assert package_validator().is_valid(preview)
    assert len(preview["grants"]) == 88
    assert {g["awardDate"] for g in preview["grants"]} == {"2003-02-28"}  # the date it is due


def test_cef_where_allocated_is_a_grant_of_its_own(demo, client):
    walsall = Allocation.objects.select_related("partnership", "year").get(
        partnership__slug="walsall", fund__code="NRF", year__start_year=2002)
    cef = Fund.objects.get(code="CEF")
    Allocation.objects.create(partnership=walsall.partnership, fund=cef, year=walsall.year,
                              amount_pence=12_345_600, provenance=Provenance.PUBLISHED)
    with service_date(DEMO_DATE):
        package = _json(client, 2002)
    assert package_validator().is_valid(package)
    assert package["title"].startswith("Neighbourhood Renewal Unit: NRF and CEF awards")
    walsall_grants = [g for g in package["grants"]
                      if g["beneficiaryLocation"][0]["name"] == "Walsall"]
    assert [g["grantProgramme"][0]["code"] for g in walsall_grants] == ["CEF", "NRF"]
    assert walsall_grants[0]["id"] == "360G-NRU-CEF-2002-E08000030"
    assert walsall_grants[0]["amountAwarded"] == Decimal("123456.00")
    assert walsall_grants[0]["disbursementTransaction"] == []  # nothing released: nothing paid


def test_the_decisions_page_links_the_360giving_files(demo, client):
    with service_date(DEMO_DATE):
        html = client.get(reverse("reporting_public:decisions-list")).content.decode()
    assert reverse("reporting_public:decisions-360giving-json", args=[2002]) in html
    assert reverse("reporting_public:decisions-360giving-xlsx", args=[2002]) in html
    assert reverse("reporting_public:decisions-360giving-json", args=[2003]) not in html
