"""A cycle's awards as 360Giving open data (`reporting.threesixty`): JSON and the flattened
spreadsheet. Public once the cycle is announced; before that, as the other downloads of the
cycle, only NRU staff get them (a preview) and everyone else a 404."""

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accreditation.models import Cycle
from core import clock

from . import threesixty
from .figures_cache import figures_cached
from .models import Announcement
from .public_views import cycle_for_download

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(cycle: Cycle, extension: str) -> str:
    return f"lsp-nru-awards-{cycle.name.replace('/', '-')}-360giving.{extension}"


def _package(request, cycle: Cycle, announcement: Announcement | None) -> dict:
    as_at = clock.today()
    package = threesixty.cycle_package(
        cycle, announcement, as_at=as_at, modified=timezone.localtime(clock.now()),
        download_url=request.build_absolute_uri(
            reverse("reporting_public:decisions-360giving-json", args=[cycle.year_start])),
        access_url=request.build_absolute_uri(
            reverse("reporting_public:decisions-show", args=[cycle.year_start])
            if announcement else reverse("reporting_public:decisions-list")),
    )
    if package is None:
        raise Http404("No awards in this cycle")
    return package


def _cached(request, name: str, year_start: int, render) -> tuple[Cycle, bytes]:
    """The cycle's file, written once per figures version (and date, and host) and served from
    the figures cache until the figures change."""
    cycle, announcement = cycle_for_download(request, year_start)
    parts = (cycle.pk, announcement.pk if announcement else 0, clock.today(),
             request.get_host(), request.scheme)
    content = figures_cached(name, parts, lambda: render(_package(request, cycle, announcement)))
    return cycle, content


class ThreeSixtyJsonView(View):
    def get(self, request, year_start: int):
        cycle, content = _cached(request, "360giving-json", year_start,
                                 lambda package: threesixty.package_json(package).encode())
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{_filename(cycle, "json")}"'
        return response


class ThreeSixtyXlsxView(View):
    def get(self, request, year_start: int):
        cycle, content = _cached(request, "360giving-xlsx", year_start, threesixty.package_xlsx)
        response = HttpResponse(content, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{_filename(cycle, "xlsx")}"'
        return response
