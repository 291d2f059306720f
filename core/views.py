from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views.generic import TemplateView

from partnerships.selectors import role_assignments_of

from .forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "core/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django 5): the sign-out button in the header is a form."""

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You have signed out")
        return response


def sign_in_locked_out(request, original_response=None, credentials=None):
    """django-axes answers with this after too many failed sign-ins (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else None
    return render(request, "core/sign_in_locked.html", {"minutes": minutes}, status=429)


class HomeView(LoginRequiredMixin, TemplateView):
    """Where everyone lands after signing in: who they are and where they may act."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = [
            {"role": a.get_role_display(), "scope": _scope_text(a)}
            for a in role_assignments_of(self.request.user)
        ]
        return context


class AccessibilityStatementView(TemplateView):
    """The accessibility statement: public, like the published decisions (GET only)."""

    template_name = "core/accessibility.html"
    http_method_names = ["get", "head", "options"]


def _scope_text(assignment) -> str:
    if assignment.partnership_id:
        partnership = assignment.partnership
        return f"{partnership.name} ({partnership.region.name})"
    if assignment.region_id:
        return assignment.region.government_office
    # The role_scope_matches_role constraint leaves only the national roles here.
    return "National: every partnership and region"
