"""Bulk accreditation: several assessments under review, every requirement rated green or
agreed, accredited in one action."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from core.errors import ApplicationError

from ..letters import funding_effects, letter_writer
from ..models import FundingState, Status
from ..review_forms import BulkSelectForm
from ..review_selectors import assessment_bulk_accreditable, assessments_reviewable_by
from ..services.decisions import BulkItem, assessments_accredit_bulk
from ..services.transitions import conflict_error
from .review_base import ReviewerRequiredMixin, posted_fields


class BulkAccreditView(ReviewerRequiredMixin, View):
    """Select several assessments under review whose ratings are all green or agreed, check the
    summary, and accredit them in one action (each with its own decision, event and letter)."""

    template_name = "review/bulk_select.html"
    confirm_template_name = "review/bulk_confirm.html"

    def _candidates(self):
        under_review = list(
            assessments_reviewable_by(self.request.user).filter(status=Status.UNDER_REVIEW)
            .prefetch_related("responses").order_by("partnership__name")
        )
        eligible = [a for a in under_review if assessment_bulk_accreditable(a)]
        return eligible, [a for a in under_review if a not in eligible]

    def get(self, request):
        eligible, others = self._candidates()
        return render(request, self.template_name, {
            "form": BulkSelectForm(eligible=eligible), "eligible": eligible, "others": others,
        })

    def post(self, request):
        eligible, others = self._candidates()
        form = BulkSelectForm(request.POST, eligible=eligible)
        if not form.is_valid() or "change" in request.POST:
            return render(request, self.template_name,
                          {"form": form, "eligible": eligible, "others": others})
        chosen = [a for a in eligible if str(a.pk) in set(form.cleaned_data["assessments"])]
        versions = {}
        for a in chosen:
            try:
                versions[a.pk] = int(request.POST.get(f"version_{a.pk}", ""))
            except ValueError:
                versions[a.pk] = -1
        stale = [a for a in chosen if versions[a.pk] != a.version]
        if stale:
            messages.error(request, "; ".join(conflict_error(a).message for a in stale))
            return redirect("review:bulk-accredit")
        effects = {a.pk: funding_effects(assessment=a, funding_state=FundingState.ACCREDITED)
                   for a in chosen}
        if "confirm" not in request.POST:
            return render(request, self.confirm_template_name, {
                "rows": [(a, [e.statement(FundingState.ACCREDITED) for e in effects[a.pk]])
                         for a in chosen],
                "hidden": posted_fields(request.POST),
                "decided_on": form.cleaned_data["decided_on"],
            })
        try:
            done = assessments_accredit_bulk(
                items=[BulkItem(assessment=a, expected_version=versions[a.pk],
                                letter=letter_writer(effects=effects[a.pk]))
                       for a in chosen],
                by=request.user, on=form.cleaned_data["decided_on"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("review:bulk-accredit")
        names = ", ".join(a.partnership.name for a in done)
        messages.success(request, f"Accredited {len(done)}: {names}. Their decision letters have been sent.")
        return redirect("review:queue")
