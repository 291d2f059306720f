"""Release policy pages for NRU administrators: authorise, bind, call one service, redirect."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import ApplicationError
from core.money import percent
from partnerships.models import Role
from partnerships.selectors import partnerships_visible_to, user_has_role

from .as_at import as_at_read
from .basis import fund_years_without_policy
from .forms import ReleaseOverrideForm, ReleasePolicyForm, as_fraction, as_percent
from .policies import release_policy_change, release_policy_change_plan
from .selectors import (
    TimelineItem,
    partnership_funding_summary,
    partnership_funding_timeline,
    policy_partnerships_affected,
    release_policies,
)

STALE = ("This policy was changed by someone else after you opened the page. Nothing was "
         "applied: check the current shares below and make your change again.")


class NruAdminRequiredMixin(LoginRequiredMixin):
    """Signed-in NRU administrators only; anyone else signed in gets 404, like any page out of
    their scope."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_has_role(request.user, Role.NRU_ADMIN):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ReleasePolicyListView(NruAdminRequiredMixin, TemplateView):
    template_name = "funding/releasepolicy_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            policies=release_policies().prefetch_related("overrides"),
            without_policy=fund_years_without_policy(), **kwargs
        )


class _PolicyMixin(NruAdminRequiredMixin):
    def get_policy(self):
        if not hasattr(self, "_policy"):
            self._policy = get_object_or_404(release_policies(), pk=self.kwargs["pk"])
        return self._policy


class ReleasePolicyDetailView(_PolicyMixin, TemplateView):
    template_name = "funding/releasepolicy_detail.html"

    def get_context_data(self, **kwargs):
        policy = self.get_policy()
        return super().get_context_data(
            policy=policy,
            overrides=policy.overrides.select_related("partnership").order_by("partnership__name"),
            changes=policy.changes.select_related("changed_by").order_by("-changed_at")[:50],
            affected_count=policy_partnerships_affected(policy=policy).count(),
            **kwargs,
        )


class _ChangeView(_PolicyMixin, TemplateView):
    """Two steps on one URL: the form, then a confirmation page that says how many
    partnerships the change moves; the change is applied only from the confirmation."""

    form_template = ""
    confirm_template = "funding/releasepolicy_confirm.html"

    def get_form(self, data=None):
        raise NotImplementedError

    def change_arguments(self, form) -> dict:
        raise NotImplementedError

    def describe(self, form, plan) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def render_form(self, form):
        self.template_name = self.form_template
        return self.render_to_response(self.get_context_data(
            policy=self.get_policy(), form=form, seen=self.get_policy().updated_at.isoformat()
        ))

    def post(self, request, *args, **kwargs):
        policy = self.get_policy()
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        if request.POST.get("seen") != policy.updated_at.isoformat():
            form.add_error(None, STALE)
            return self.render_form(form)
        try:
            plan = release_policy_change_plan(policy=policy, **self.change_arguments(form))
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self.render_form(form)
        if request.POST.get("confirm") != "yes":
            self.template_name = self.confirm_template
            return self.render_to_response(self.get_context_data(
                policy=policy, form=form, plan=plan, rows=self.describe(form, plan),
                seen=policy.updated_at.isoformat(), action=request.path,
            ))
        try:
            change = release_policy_change(policy=policy, by=request.user,
                                           reason=form.cleaned_data["reason"],
                                           **self.change_arguments(form))
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self.render_form(form)
        count = plan.affected_count
        messages.success(
            request,
            f"{policy.fund} {policy.year} release policy changed. Released money is being "
            f"recomputed for {count} partnership{'s' if count != 1 else ''}.",
        )
        return redirect(reverse("funding:releasepolicy-detail", args=[change.policy_id]))


class ReleasePolicyChangeView(_ChangeView):
    form_template = "funding/releasepolicy_change.html"

    def get_form(self, data=None):
        policy = self.get_policy()
        initial = {
            "accredited": as_percent(policy.fraction_accredited),
            "deferred": as_percent(policy.fraction_deferred),
            "undecided": as_percent(policy.fraction_undecided),
        }
        return ReleasePolicyForm(data=data, initial=initial)

    def change_arguments(self, form) -> dict:
        return form.fractions()

    def describe(self, form, plan):
        policy = self.get_policy()
        return [
            (label, percent(getattr(policy, name)), percent(plan.fractions[name]))
            for name, label in (("fraction_accredited", "Released once accredited"),
                                ("fraction_deferred", "Released while deferred"),
                                ("fraction_undecided", "Released before a decision"))
        ]


class ReleasePolicyOverrideView(_ChangeView):
    form_template = "funding/releasepolicy_override.html"

    def get_form(self, data=None):
        return ReleaseOverrideForm(
            data=data,
            partnerships=policy_partnerships_affected(policy=self.get_policy()).order_by("name"),
        )

    def change_arguments(self, form) -> dict:
        return {"overrides": {form.cleaned_data["partnership"]: as_fraction(
            form.cleaned_data["percent"])}}

    def describe(self, form, plan):
        partnership = form.cleaned_data["partnership"]
        current = self.get_policy().overrides.filter(partnership=partnership).first()
        new = plan.overrides[partnership]
        return [(
            f"Released to {partnership}",
            percent(current.fraction) if current else "As the policy says",
            percent(new) if new is not None else "As the policy says",
        )]


# --- A partnership's money ----------------------------------------------------------------------


def _audience(user, partnership) -> str:
    """Which of the viewer's pages a decision is read on: the partnership's own ("lsp"), the
    Government Office review ("reviewer") or NRU's ("nru"). A person with several roles reads it
    where their closest role puts them."""
    if user_has_role(user, Role.LSP_OFFICER, Role.LSP_CHAIR, partnership=partnership):
        return "lsp"
    if user_has_role(user, Role.GO_REVIEWER, region=partnership.local_authority.region_id):
        return "reviewer"
    return "nru"


def _cause_link(item: TimelineItem, *, audience: str, is_admin: bool,
                partnership) -> tuple[str, str] | None:
    """(url, link text) of the page behind an entry that this viewer may open, or None when
    there is none for them (a policy change for anyone but an administrator, a repair)."""
    event = item.event
    if event is not None:
        if event.decision_id:
            if audience == "lsp":
                url = reverse("accreditation:decision-letter",
                              args=[event.assessment_id, event.decision_id])
            else:
                url = reverse("review:decision-letter", args=[event.decision_id])
            return url, "Read the decision"
        if audience == "lsp":
            return (reverse("accreditation:assessment-history", args=[event.assessment_id]),
                    "See the self-assessment's history")
        if audience == "reviewer":
            return reverse("review:assessment-detail", args=[event.assessment_id]), "See the review"
        return (reverse("reporting:partnership-show", args=[partnership.slug]),
                "See the partnership's history")
    if item.policy_change is not None and is_admin:
        url = reverse("funding:releasepolicy-detail", args=[item.policy_change.policy_id])
        return f"{url}#change-{item.policy_change.pk}", "See the policy change"
    return None


def timeline_with_links(*, user, partnership, as_at: date | None = None,
                        ) -> list[tuple[TimelineItem, tuple[str, str] | None]]:
    """The partnership's funding timeline (with `as_at`, up to the end of that day), each
    movement with the page behind it that `user` may open (or None): for the funding page and
    the NRU drill-down alike."""
    audience = _audience(user, partnership)
    is_admin = user_has_role(user, Role.NRU_ADMIN)
    return [
        (item, _cause_link(item, audience=audience, is_admin=is_admin, partnership=partnership))
        for item in partnership_funding_timeline(partnership=partnership, as_at=as_at)
    ]


class PartnershipFundingView(LoginRequiredMixin, TemplateView):
    """A partnership's allocations with released, held and provenance, and every movement of
    released money tied to what caused it, as at the end of a day (`as_at`, default today).
    Its officers and chair, its region's reviewers and NRU staff (`partnerships_visible_to`);
    404 for anyone else."""

    template_name = "funding/partnership_funding.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.partnership = get_object_or_404(partnerships_visible_to(request.user),
                                                 slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user, partnership = self.request.user, self.partnership
        audience = _audience(user, partnership)
        as_at = as_at_read(self.request.GET)
        summary = partnership_funding_summary(partnership=partnership, as_at=as_at.past)
        timeline = timeline_with_links(user=user, partnership=partnership, as_at=as_at.past)
        back = {
            "lsp": (reverse("accreditation:home"), "Back to your partnership"),
            "reviewer": (reverse("review:queue"), "Back to the review queue"),
            "nru": (reverse("reporting:partnership-show", args=[partnership.slug]),
                    f"Back to {partnership.name}'s history"),
        }[audience]
        sources = {line.allocation.source for line in summary.lines if line.allocation.source}
        return super().get_context_data(
            partnership=partnership,
            summary=summary,
            sources=sorted(sources, key=lambda source: source.key),
            timeline=timeline,
            back=back,
            as_at=as_at,
            **kwargs,
        )
