"""Targets and progress returns pages.

A partnership's officers and chair read and change its targets and returns; the Government
Office reviewers of its region and NRU staff read them; anyone else gets 404. NRU staff also
see the national counts by theme and region, as a chart, a table and a CSV file.
Views authorise, bind a form, call one service and redirect; the services decide.
"""

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from partnerships.selectors import partnerships_visible_to

from . import rules, services
from .charts import standing_chart
from .forms import NationalFilterForm, ReturnForm, TargetForm, add_problems
from .models import ProgressReturn, Target, Theme
from .permissions import can_edit_targets, can_see_national_progress
from .selectors import (
    STANDING_LABELS,
    STANDINGS,
    counts_by_region,
    counts_by_theme,
    floor_targets_offered,
    national_counts,
    partnership_standings,
    progress_summary,
    return_years,
    returns_visible_to,
    targets_visible_to,
)


def _partnership(user, slug, *, edit=False):
    partnership = partnerships_visible_to(user).filter(slug=slug).first()
    if partnership is None or (edit and not can_edit_targets(user, partnership.pk)):
        raise Http404("No such partnership")
    return partnership


def _target(user, pk, *, edit=False) -> Target:
    target = targets_visible_to(user).filter(pk=pk).first()
    if target is None or (edit and not can_edit_targets(user, target.partnership_id)):
        raise Http404("No such target")
    return target


def _years_open(target: Target) -> list[int]:
    """Years a return may still be added for: in the target's span, started, without one."""
    taken = set(target.returns.values_list("year", flat=True))
    current = services.current_financial_year()
    return [y for y in target.return_years() if y not in taken and y <= current]


class PerformanceHomeView(LoginRequiredMixin, View):
    """The partnerships the user may see, with their targets counted by standing. An officer
    or chair of a single partnership goes straight to its targets."""

    def get(self, request):
        rows = partnership_standings(request.user)
        if not rows:
            raise Http404("No partnerships to show")
        if len(rows) == 1 and can_edit_targets(request.user, rows[0]["partnership"].pk):
            return redirect("performance:target-list", slug=rows[0]["partnership"].slug)
        return render(request, "performance/home.html", {
            "rows": rows, "standings": [(s, STANDING_LABELS[s]) for s in STANDINGS],
            "national": can_see_national_progress(request.user),
        })


class TargetListView(LoginRequiredMixin, View):
    def get(self, request, slug):
        partnership = _partnership(request.user, slug)
        return render(request, "performance/target_list.html", {
            "partnership": partnership,
            "summary": progress_summary(partnership=partnership),
            "can_edit": can_edit_targets(request.user, partnership.pk),
        })


class TargetDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        target = _target(request.user, pk)
        returns = list(target.returns.select_related("recorded_by").order_by("year"))
        for progress in returns:
            progress.target = target
        can_edit = can_edit_targets(request.user, target.partnership_id)
        return render(request, "performance/target_detail.html", {
            "target": target, "partnership": target.partnership,
            "returns": [(r, r.judgement()) for r in returns],
            "can_edit": can_edit,
            "can_add_return": can_edit and bool(_years_open(target)),
            "tolerance_percent": rules.number_text(rules.TOLERANCE * 100),
        })


def _target_saved(request, form: TargetForm, done: str, save):
    """The add and change forms' POST: when the form is valid, `save(data)` through the service
    and go to the target's page with "‘title’ has been <done>"; None (the form then carries the
    problems, the service's included) when it is not."""
    if not form.is_valid():
        return None
    try:
        target = save(form.target_input())
    except services.TargetProblems as error:
        add_problems(form, error.problems)
        return None
    messages.success(request, f"‘{target.title}’ has been {done}")
    return redirect("performance:target-detail", pk=target.pk)


class TargetAddView(LoginRequiredMixin, View):
    template_name = "performance/target_form.html"

    def _render(self, request, partnership, form):
        return render(request, self.template_name, {"partnership": partnership, "form": form})

    def get(self, request, slug):
        partnership = _partnership(request.user, slug, edit=True)
        return self._render(request, partnership, TargetForm(floor_targets=floor_targets_offered()))

    def post(self, request, slug):
        partnership = _partnership(request.user, slug, edit=True)
        form = TargetForm(request.POST, floor_targets=floor_targets_offered())
        saved = _target_saved(request, form, "added", lambda data: services.target_add(
            partnership=partnership, by=request.user, data=data))
        return saved or self._render(request, partnership, form)


class TargetChangeView(LoginRequiredMixin, View):
    template_name = "performance/target_form.html"

    def _render(self, request, target, form):
        return render(request, self.template_name,
                      {"partnership": target.partnership, "target": target, "form": form})

    def get(self, request, pk):
        target = _target(request.user, pk, edit=True)
        form = TargetForm(initial=TargetForm.initial_for(target),
                          floor_targets=floor_targets_offered(keep=target.floor_target))
        return self._render(request, target, form)

    def post(self, request, pk):
        target = _target(request.user, pk, edit=True)
        form = TargetForm(request.POST, floor_targets=floor_targets_offered(keep=target.floor_target))
        saved = _target_saved(request, form, "updated", lambda data: services.target_update(
            target=target, by=request.user, data=data))
        return saved or self._render(request, target, form)


class ReturnAddView(LoginRequiredMixin, View):
    template_name = "performance/return_form.html"

    def _render(self, request, target, form, years):
        return render(request, self.template_name, {
            "target": target, "partnership": target.partnership, "form": form, "years": years,
        })

    def get(self, request, pk):
        target = _target(request.user, pk, edit=True)
        years = _years_open(target)
        initial = {"year": years[0]} if len(years) == 1 else {}
        return self._render(request, target, ReturnForm(target=target, years=years, initial=initial),
                            years)

    def post(self, request, pk):
        target = _target(request.user, pk, edit=True)
        years = _years_open(target)
        form = ReturnForm(request.POST, target=target, years=years)
        if form.is_valid():
            data = form.cleaned_data
            try:
                progress = services.return_add(target=target, by=request.user, year=data["year"],
                                               actual=data["actual"], commentary=data["commentary"])
            except services.TargetProblems as error:
                add_problems(form, error.problems)
            else:
                messages.success(request, f"The {progress.year_label} return has been saved: "
                                          f"{progress.get_rag_display().lower()}")
                return redirect("performance:target-detail", pk=target.pk)
        return self._render(request, target, form, years)


class ReturnChangeView(LoginRequiredMixin, View):
    template_name = "performance/return_form.html"

    def _load(self, request, pk) -> ProgressReturn:
        progress = returns_visible_to(request.user).filter(pk=pk).first()
        if progress is None or not can_edit_targets(request.user, progress.target.partnership_id):
            raise Http404("No such progress return")
        return progress

    def _render(self, request, progress, form):
        return render(request, self.template_name, {
            "target": progress.target, "partnership": progress.target.partnership,
            "progress": progress, "form": form,
        })

    def get(self, request, pk):
        progress = self._load(request, pk)
        form = ReturnForm(target=progress.target, years=None,
                          initial={"actual": progress.actual, "commentary": progress.commentary})
        return self._render(request, progress, form)

    def post(self, request, pk):
        progress = self._load(request, pk)
        form = ReturnForm(request.POST, target=progress.target, years=None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                progress = services.return_update(progress=progress, by=request.user,
                                                  actual=data["actual"], commentary=data["commentary"])
            except services.TargetProblems as error:
                add_problems(form, error.problems)
            else:
                messages.success(request, f"The {progress.year_label} return has been updated: "
                                          f"{progress.get_rag_display().lower()}")
                return redirect("performance:target-detail", pk=progress.target_id)
        return self._render(request, progress, form)


class _NationalMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_see_national_progress(request.user):
            raise Http404("No such page")
        return super().dispatch(request, *args, **kwargs)

    def filters(self, request) -> tuple[NationalFilterForm, str, int | None]:
        form = NationalFilterForm(request.GET or None, years=return_years(request.user))
        if form.is_bound and form.is_valid():
            return form, form.cleaned_data["theme"], form.cleaned_data["as_at"]
        return form, "", None


class ProgressNationalView(_NationalMixin, View):
    def get(self, request):
        form, theme, as_at = self.filters(request)
        cells = national_counts(request.user, as_at=as_at)
        regions = counts_by_region(cells, theme=theme or None)
        themes = counts_by_theme(cells)
        theme_text = f"{Theme(theme).label.lower()} targets" if theme else "targets"
        when = f"as at {rules.year_label(as_at)}" if as_at else "by their latest return"
        total = sum(r["total"] for r in regions)
        chart = standing_chart(
            regions, title=f"Standing of {theme_text} by region, {when}",
            description=(f"{total} {theme_text} in all. " + "; ".join(
                f"{r['label']}: " + ", ".join(f"{r[s]} {STANDING_LABELS[s].lower()}" for s in STANDINGS)
                for r in regions) + "."),
        )
        return render(request, "performance/national.html", {
            "form": form, "theme": theme, "as_at": as_at, "theme_text": theme_text, "when": when,
            "regions": regions, "themes": themes, "chart": chart, "total": total,
            "standings": [(s, STANDING_LABELS[s]) for s in STANDINGS],
            "export_query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        }, status=200 if not form.errors else 400)


def _csv_text(text: str) -> str:
    """A name as a spreadsheet will show it, never run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ProgressNationalExportView(_NationalMixin, View):
    """Every theme x region cell, zeros included, as CSV."""

    def get(self, request):
        form, _, as_at = self.filters(request)
        if form.errors:
            raise Http404("No such export")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        suffix = f"-as-at-{rules.year_label(as_at).replace('/', '-')}" if as_at else ""
        response["Content-Disposition"] = f'attachment; filename="targets-by-theme-and-region{suffix}.csv"'
        writer = csv.writer(response)
        writer.writerow(["theme", "region", "on_track", "at_risk", "off_track", "no_return_yet",
                         "total", "as_at"])
        for cell in national_counts(request.user, as_at=as_at):
            writer.writerow([cell.theme_label, _csv_text(cell.region.name),
                             *(cell.counts[s] for s in STANDINGS), cell.total,
                             rules.year_label(as_at) if as_at else "latest return"])
        return response


class FloorTargetListView(LoginRequiredMixin, View):
    """The national floor targets, as offered to partnerships; NRU administrators change the
    list in the admin pages."""

    def get(self, request):
        return render(request, "performance/floor_target_list.html", {
            "floor_targets": floor_targets_offered(),
            "can_manage": request.user.is_staff and request.user.has_perm("performance.change_floortarget"),
        })
