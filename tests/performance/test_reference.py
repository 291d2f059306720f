"""load_reference_data also loads the national floor targets: with their sources, idempotently,
keeping an NRU administrator's retirement, and all or nothing with the other files."""

import csv
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from partnerships.models import Region
from performance.models import FloorTarget
from reference.common import DATA_DIR

pytestmark = pytest.mark.django_db


def load(directory=None) -> str:
    out = StringIO()
    call_command("load_reference_data", stdout=out, **({"directory": directory} if directory else {}))
    return out.getvalue()


def test_the_shipped_floor_targets_are_loaded_with_their_sources():
    output = load()
    assert "floor targets: 7 (7 created, 0 changed, 0 unchanged)" in output
    assert FloorTarget.objects.count() == 7
    assert sorted(FloorTarget.objects.values_list("theme", flat=True)) == sorted(
        ["health", "crime", "crime", "employment", "housing", "education", "liveability"])
    burglary = FloorTarget.objects.get(wording__startswith="Reduce domestic burglary by 25%")
    assert (burglary.department, burglary.spending_review, burglary.source.key) == (
        "Home Office", "SR2000", "HC2002-HO")
    education = FloorTarget.objects.get(theme="education")
    assert education.source is None
    assert education.wording_status == "approximate: exact wording not found"
    assert FloorTarget.objects.filter(is_current=True).count() == 7


def test_a_second_run_changes_nothing_and_keeps_a_retirement():
    load()
    FloorTarget.objects.filter(theme="liveability").update(is_current=False)
    output = load()
    assert "floor targets: 7 (0 created, 0 changed, 7 unchanged)" in output
    assert not FloorTarget.objects.get(theme="liveability").is_current


@pytest.fixture
def fixtures_copy(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(directory, row_number: int, column: str, value: str) -> None:
    path = directory / "floor_targets.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[row_number - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(("row", "column", "value", "says"), [
    (2, "theme", "transport", "floor_targets.csv, row 2, field theme: 'transport' is not a theme"),
    (3, "source", "HO1999", "floor_targets.csv, row 3, field source: 'HO1999' is not a key in sources.csv"),
    (4, "target", "", "floor_targets.csv, row 4, field target: is empty"),
])
def test_a_bad_floor_target_row_stops_the_whole_load(fixtures_copy, row, column, value, says):
    _edit(fixtures_copy, row, column, value)
    with pytest.raises(CommandError) as refused:
        load(fixtures_copy)
    assert says in str(refused.value)
    assert not FloorTarget.objects.exists()
    assert not Region.objects.exists()


def test_a_missing_floor_targets_file_is_named(fixtures_copy):
    (fixtures_copy / "floor_targets.csv").unlink()
    with pytest.raises(CommandError, match=r"floor_targets\.csv: file not found"):
        load(fixtures_copy)
