from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class SignInView(auth_views.LoginView):
    template_name = "core/sign_in.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"
