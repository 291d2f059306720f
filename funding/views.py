"""Release policy pages for NRU administrators: authorise, bind, call one service, redirect."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from core.errors import ApplicationError
from partnerships.models import Role
from partnerships.selectors import user_has_role

from .forms import ReleaseOverrideForm, ReleasePolicyForm, as_fraction, as_percent
from .selectors import policy_partnerships_affected, release_policies
from .services import release_policy_change, release_policy_change_plan

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
            policies=release_policies().prefetch_related("overrides"), **kwargs
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


def _pct(fraction) -> str:
    return f"{as_percent(fraction):f}%"


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
            (label, _pct(getattr(policy, name)), _pct(plan.fractions[name]))
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
            _pct(current.fraction) if current else "As the policy says",
            _pct(new) if new is not None else "As the policy says",
        )]
