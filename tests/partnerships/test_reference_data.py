"""load_reference_data: the nine regions, the 88 NRF areas and their partnerships, every NRF
allocation with its provenance, the CEF regional budgets; idempotent; all or nothing."""

import csv
import shutil
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Sum

from core.models import Provenance, Source
from funding.basis import fund_years_without_policy
from funding.models import (
    Allocation,
    FinancialYear,
    Fund,
    RecomputeRequest,
    RegionalBudget,
    ReleasePolicy,
)
from partnerships.models import LocalAuthority, Partnership, Region
from reference.allocations import apportion
from reference.common import DATA_DIR
from tests.row_snapshot import restored

NATIONAL = {2001: 20_000_000_000, 2002: 30_000_000_000, 2003: 40_000_000_000}
LOADED_MODELS = (Source, Region, LocalAuthority, Partnership, Fund, FinancialYear, Allocation,
                 RegionalBudget, ReleasePolicy)


def load(directory=None) -> str:
    out = StringIO()
    options = {"directory": directory} if directory else {}
    call_command("load_reference_data", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict:
    """Every column of every row the loader writes, including updated_at."""
    state = {model.__name__: sorted(model.objects.values_list(), key=lambda row: row[0])
             for model in LOADED_MODELS}
    state["membership_sources"] = sorted(
        LocalAuthority.membership_sources.through.objects.values_list("localauthority_id",
                                                                      "source_id")
    )
    return state


@pytest.fixture
def reference(db) -> str:
    """The shipped reference data as a first load writes it, and what that load printed: loaded
    once per test process and restored per test (tests/row_snapshot.py)."""
    return restored(load)


@pytest.mark.django_db
@pytest.mark.usefixtures("reference")
class TestShippedReferenceData:
    def test_nine_regions_with_slugs(self):
        assert Region.objects.count() == 9
        slugs = set(Region.objects.values_list("slug", flat=True))
        assert {"west-midlands", "yorkshire-and-the-humber", "north-east", "east-of-england",
                "london", "north-west"} <= slugs

    def test_88_areas_by_region(self):
        """West Midlands has 7 NRF areas, the North West 21 and London 20."""
        assert LocalAuthority.objects.filter(is_nrf_area=True).count() == 88
        assert LocalAuthority.objects.filter(region__slug="west-midlands").count() == 7
        assert LocalAuthority.objects.filter(region__slug="north-west").count() == 21
        assert LocalAuthority.objects.filter(region__slug="london").count() == 20

    def test_authorities_keep_gss_code_evidence_and_sources(self):
        walsall = LocalAuthority.objects.get(slug="walsall")
        assert walsall.gss_code == "E08000030"
        assert walsall.region.name == "West Midlands"
        assert walsall.membership_evidence == "A"
        assert walsall.provenance == Provenance.PUBLISHED
        assert set(walsall.membership_sources.values_list("key", flat=True)) == {
            "HC2002-ACCRED", "HC2001-WM"}
        kirklees = LocalAuthority.objects.get(slug="kirklees")
        assert kirklees.membership_evidence == "C"
        assert kirklees.provenance == Provenance.ILLUSTRATIVE
        assert not kirklees.membership_sources.exists()
        # The seven districts abolished in 2009 have no GSS code.
        assert LocalAuthority.objects.filter(gss_code__isnull=True).count() == 7

    def test_partnerships_one_per_area_with_slug_and_accountable_body(self):
        assert Partnership.objects.count() == 88
        hull = Partnership.objects.get(slug="kingston-upon-hull")
        assert hull.local_authority.name == "Kingston upon Hull"
        assert hull.name == "Kingston upon Hull LSP"
        assert hull.accountable_body == "Kingston upon Hull Council"
        for p in Partnership.objects.select_related("local_authority"):
            assert p.slug == p.local_authority.slug

    def test_sources_funds_and_years(self):
        assert Source.objects.count() == 21
        assert "Lord Rooker" in Source.objects.get(key="HL2003").citation
        assert set(Fund.objects.values_list("code", flat=True)) == {"NRF", "CEF"}
        assert list(FinancialYear.objects.values_list("label", flat=True)) == [
            "2001/02", "2002/03", "2003/04", "2004/05"]
        year = FinancialYear.objects.get(start_year=2002)
        assert (str(year.starts_on), str(year.ends_on)) == ("2002-04-01", "2003-03-31")

    def test_national_nrf_totals_are_exact(self):
        """£200m, £300m and £400m, to the penny."""
        totals = dict(
            Allocation.objects.filter(fund__code="NRF").values_list("year__start_year")
            .annotate(total=Sum("amount_pence"))
        )
        assert totals == NATIONAL
        assert Allocation.objects.filter(fund__code="NRF").count() == 88 * 3

    def test_every_allocation_has_a_provenance_and_figures_from_records_a_source(self):
        assert not Allocation.objects.exclude(provenance__in=Provenance.values).exists()
        assert not Allocation.objects.filter(
            provenance__in=[Provenance.PUBLISHED, Provenance.DERIVED], source__isnull=True
        ).exists()
        assert not Allocation.objects.filter(provenance=Provenance.ILLUSTRATIVE,
                                             source__isnull=False).exists()
        assert not Allocation.objects.filter(note="").exists()

    def test_published_and_derived_figures_are_kept(self):
        def figure(slug, year):
            a = Allocation.objects.select_related("source").get(
                partnership__slug=slug, fund__code="NRF", year__start_year=year)
            return a.amount_pence, a.provenance, a.source.key if a.source else None

        # Exact 2003/04 figure (HL2003) with the file's derived 50% / 75%.
        assert figure("allerdale", 2003) == (85_549_400, "published", "HL2003")
        assert figure("allerdale", 2001) == (42_774_700, "derived", "HL2003")
        assert figure("allerdale", 2002) == (64_162_000, "derived", "HL2003")
        # Published in HC2001 for the earlier years: the published figure wins over the derived.
        assert figure("easington", 2001) == (221_600_000, "published", "HC2001")
        assert figure("easington", 2003) == (443_327_000, "published", "HL2003")
        assert figure("sefton", 2002) == (422_347_500, "published", "HC2003-SEFTON")
        # Only 2003/04 on record (Northern Echo): the loader derives the rest by 2 : 3 : 4.
        assert figure("middlesbrough", 2003) == (524_000_000, "published", "ECHO2003")
        assert figure("middlesbrough", 2001) == (262_000_000, "derived", "ECHO2003")
        assert figure("middlesbrough", 2002) == (393_000_000, "derived", "ECHO2003")

    def test_areas_with_no_figure_are_illustrative_and_follow_2_3_4(self):
        """37 areas (Walsall among them) have no figure at all. Each gets the same share of
        what the others leave of each year's total: 2001/02 is exactly 2/3 of 2002/03, and
        2003/04 is within 0.001% of 4/3 of it (the published 2003/04 figures run £1,318 above
        4/3 of the earlier published years, and the exact national total wins)."""
        rows = Allocation.objects.filter(fund__code="NRF", provenance="illustrative")
        by_area: dict[str, dict[int, int]] = {}
        for slug, year, pence in rows.values_list("partnership__slug", "year__start_year",
                                                  "amount_pence"):
            by_area.setdefault(slug, {})[year] = pence
        assert len(by_area) == 37
        assert "walsall" in by_area
        for slug, years in by_area.items():
            assert set(years) == {2001, 2002, 2003}, slug
            assert abs(3 * years[2001] - 2 * years[2002]) <= 3, slug
            four_thirds = Fraction(4 * years[2002], 3)
            assert abs(years[2003] - four_thirds) / four_thirds < Fraction(1, 100_000), slug
        # Equal shares: no two areas differ by more than a penny in any year.
        for year in (2001, 2002, 2003):
            amounts = [years[year] for years in by_area.values()]
            assert max(amounts) - min(amounts) <= 1

    def test_cef_regional_budgets_are_published(self):
        budgets = RegionalBudget.objects.filter(fund__code="CEF")
        assert budgets.count() == 9 * 2
        assert set(budgets.values_list("provenance", flat=True)) == {"published"}
        assert set(budgets.values_list("source__key", flat=True)) == {"HC2004-CEF"}
        totals = dict(budgets.values_list("year__start_year").annotate(total=Sum("amount_pence")))
        assert totals == {2003: 1_200_000_000, 2004: 1_200_000_000}
        assert budgets.get(region__slug="london", year__start_year=2004).amount_pence == 265_448_500

    def test_funds_and_years_no_cycle_governs_are_released_in_full_by_a_policy(self):
        """No policy releases nothing, so NRF 2001/02 (before accreditation) and CEF (not tied
        to it) get an explicit one; NRF 2002/03 and 2003/04 wait for their cycles' policies."""
        policies = {(p.fund.code, p.year.start_year): p for p in
                    ReleasePolicy.objects.select_related("fund", "year")}
        assert set(policies) == {("NRF", 2001), ("CEF", 2003), ("CEF", 2004)}
        for policy in policies.values():
            assert policy.governing_cycle is None
            assert {policy.fraction_accredited, policy.fraction_deferred,
                    policy.fraction_undecided} == {Decimal(1)}
        assert [(m.fund, m.year) for m in fund_years_without_policy()] == [
            ("NRF", "2002/03"), ("NRF", "2003/04")]

    def test_a_policy_an_administrator_changed_is_left_alone(self):
        ReleasePolicy.objects.filter(fund__code="NRF", year__start_year=2001).update(
            fraction_undecided=Decimal("0.5"))
        output = load()
        assert "release-in-full policies: 3 (0 created, 0 changed, 3 unchanged)" in output
        assert ReleasePolicy.objects.get(fund__code="NRF", year__start_year=2001) \
            .fraction_undecided == Decimal("0.5")

    def test_second_run_changes_nothing(self):
        before = snapshot()
        output = load()
        assert snapshot() == before
        assert "264 (0 created, 0 changed, 264 unchanged)" in output
        assert not RecomputeRequest.objects.exists()

    def test_first_run_output_counts(self, reference):
        assert "local authorities: 88 (88 created" in reference
        assert "NRF allocations by provenance: derived 66, illustrative 111, published 87" in reference


# --- editing and breaking a copy of the files -------------------------------------------------


@pytest.fixture
def fixtures_copy(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(directory, filename, match: str, column: str, value=None, *, drop_last=False) -> int:
    """Change one cell (or drop a row's last field) in a copied file; returns the row number
    as a spreadsheet shows it (header = row 1)."""
    path = directory / filename
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    number = next(i for i, row in enumerate(rows) if row and row[0] == match)
    if drop_last:
        rows[number] = rows[number][:-1]
    else:
        rows[number][header.index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return number + 1


AREAS = "nrf_areas_2001_04.csv"
CEF = "cef_regional_budgets_2003_05.csv"
BAD_INPUT = {
    "malformed row": (AREAS, "Walsall", "walsall_deferred_2002", None, True, "is missing"),
    "unknown region": (AREAS, "Walsall", "go_region", "Wessex", False, "not a Government Office"),
    "negative amount": (AREAS, "Hartlepool", "nrf_2002_03_published", "-2353000", False,
                        "negative"),
    "non-numeric amount": (AREAS, "Sefton", "nrf_2003_04_published", "5.6m", False,
                           "not a number"),
    "fractional pounds": (AREAS, "Hastings", "nrf_2001_02_published", "688000.5", False,
                          "not a whole number of pounds"),
    "unknown source key": (AREAS, "Pendle", "allocation_sources", "from HC1999", False,
                           "not a key in sources.csv"),
    "unknown region in CEF budgets": (CEF, "London", "go_region", "Greater London", False,
                                      "not a Government Office"),
    "negative CEF budget": (CEF, "London", "cef_gbp_per_year_2003_04_and_2004_05", "-1", False,
                            "negative"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("filename", "match", "column", "value", "drop_last", "says"),
                         BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_stops_the_load_naming_file_row_and_field(
    fixtures_copy, filename, match, column, value, drop_last, says
):
    row = edit(fixtures_copy, filename, match, column, value, drop_last=drop_last)
    with pytest.raises(CommandError) as caught:
        load(fixtures_copy)
    message = str(caught.value)
    assert f"{filename}, row {row}, field {column}: " in message
    assert says in message
    assert "nothing was written" in message
    for model in LOADED_MODELS:
        assert not model.objects.exists(), model.__name__


@pytest.mark.django_db
def test_every_problem_is_listed_not_just_the_first(fixtures_copy):
    first = edit(fixtures_copy, AREAS, "Walsall", "go_region", "Wessex")
    second = edit(fixtures_copy, AREAS, "Hartlepool", "nrf_2002_03_published", "-1")
    with pytest.raises(CommandError) as caught:
        load(fixtures_copy)
    assert f"row {first}, field go_region" in str(caught.value)
    assert f"row {second}, field nrf_2002_03_published" in str(caught.value)


@pytest.mark.django_db
def test_bad_input_on_a_loaded_database_changes_nothing(fixtures_copy, reference):
    before = snapshot()
    edit(fixtures_copy, CEF, "London", "go_region", "Wessex")
    edit(fixtures_copy, AREAS, "Hartlepool", "nrf_2002_03_published", "2400000")
    with pytest.raises(CommandError):
        load(fixtures_copy)
    assert snapshot() == before


@pytest.mark.django_db
def test_missing_column_is_named(fixtures_copy):
    path = fixtures_copy / CEF
    path.write_text(path.read_text().replace("go_region,", "region,", 1))
    with pytest.raises(CommandError, match=r"cef_regional_budgets_2003_05.csv, row 1, field "
                                           r"go_region: column is missing"):
        load(fixtures_copy)


@pytest.mark.django_db
def test_figures_over_the_national_total_are_refused(fixtures_copy):
    edit(fixtures_copy, AREAS, "Hartlepool", "nrf_2002_03_published", "200000000")
    with pytest.raises(CommandError, match="add up to more than the national total of £300,000,000"):
        load(fixtures_copy)


@pytest.mark.django_db
def test_a_corrected_figure_is_updated_and_owes_recomputes(fixtures_copy, reference):
    """Re-running with a changed published figure updates it, re-shares the illustrative
    remainder so the total stays exact, and owes a recompute to every partnership whose
    allocation moved (Hartlepool and the 37 illustrative areas), in the same transaction."""
    edit(fixtures_copy, AREAS, "Hartlepool", "nrf_2002_03_published", "2353370")
    output = load(fixtures_copy)
    assert Allocation.objects.get(partnership__slug="hartlepool",
                                  year__start_year=2002).amount_pence == 235_337_000
    total = Allocation.objects.filter(year__start_year=2002).aggregate(t=Sum("amount_pence"))["t"]
    assert total == NATIONAL[2002]
    assert "NRF allocations: 264 (0 created, 38 changed, 226 unchanged)" in output
    owed = RecomputeRequest.objects.filter(cause=RecomputeRequest.Cause.ALLOCATION_CHANGE)
    assert owed.count() == 38
    assert owed.filter(partnership__slug="hartlepool").exists()


@pytest.mark.parametrize(("total", "count", "shares"), [
    (10, 3, [4, 3, 3]),
    (9, 3, [3, 3, 3]),
    (2, 5, [1, 1, 0, 0, 0]),
    (0, 2, [0, 0]),
])
def test_apportion_gives_whole_pence_that_add_up(total, count, shares):
    assert apportion(total, count) == shares
    assert sum(apportion(total, count)) == total


@pytest.mark.django_db
def test_a_figure_set_by_an_nru_import_is_kept_by_a_second_load(reference):
    """Imports are how real figures arrive after the first load: running the loader again
    keeps an imported figure (and owes no recompute for it) instead of putting the shipped one
    back, and says so."""
    from reporting.import_file import allocations_preview
    from reporting.import_write import allocations_import
    from tests.factories import RoleAssignmentFactory

    admin = RoleAssignmentFactory(admin=True).user
    preview = allocations_preview(
        filename="real.csv",
        content=b"Authority,Fund,Year,Amount,Source\nWalsall,NRF,2002/03,4613412.50,HC2001\n")
    assert preview.errors == []
    allocations_import(preview=preview, by=admin)
    RecomputeRequest.objects.all().delete()
    walsall = Allocation.objects.get(partnership__slug="walsall", year__start_year=2002)
    assert walsall.imported_at is not None

    output = load()

    walsall.refresh_from_db()
    assert (walsall.amount_pence, walsall.provenance) == (461_341_250, Provenance.PUBLISHED)
    assert "NRF allocations: 264 (0 created, 0 changed, 263 unchanged, 1 kept as imported)" in output
    assert "illustrative 110, published 88" in output
    assert not RecomputeRequest.objects.exists()
    # The import re-shared the other illustrative figures to keep the published £300m, and the
    # second load wrote the same shares: the national total still holds.
    total = Allocation.objects.filter(fund__code="NRF", year__start_year=2002).aggregate(
        total=models.Sum("amount_pence"))["total"]
    assert total == 300_000_000_00
