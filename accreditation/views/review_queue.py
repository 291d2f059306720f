"""The reviewer's queue: every partnership in their regions for a cycle, in working order."""

from django.shortcuts import render
from django.views import View

from core import clock
from partnerships.models import Region

from ..models import Cycle
from ..review_forms import QueueFilterForm
from ..review_selectors import cycle_default, review_queue, reviewer_region_ids
from .review_base import ReviewerRequiredMixin


class QueueView(ReviewerRequiredMixin, View):
    template_name = "review/queue.html"

    def get(self, request):
        cycles = Cycle.objects.order_by("-year_start")
        default = cycle_default()
        form = QueueFilterForm(request.GET or None, cycles=cycles,
                               initial={"cycle": default.pk if default else None})
        cycle, status = default, ""
        if form.is_bound and form.is_valid():
            cycle = form.cleaned_data["cycle"] or default
            status = form.cleaned_data["status"]
        queue = review_queue(user=request.user, cycle=cycle, status=status)
        regions = [str(r) for r in Region.objects.filter(pk__in=reviewer_region_ids(request.user))]
        return render(request, self.template_name, {
            "form": form, "queue": queue, "cycle": cycle, "status": status,
            "regions": regions, "today": clock.today(),
        })
