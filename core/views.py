from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views.generic import TemplateView

from .forms import SignInForm
from .registry import home_panels_for


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
    """Where everyone lands after signing in: who they are, then the panels the apps registered
    (`core.registry.home_panel_register`) that have something for this user."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = home_panels_for(self.request)
        return context


class AccessibilityStatementView(TemplateView):
    """The accessibility statement: public, like the published decisions (GET only)."""

    template_name = "core/accessibility.html"
    http_method_names = ["get", "head", "options"]

