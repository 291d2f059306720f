from django.urls import path

from . import session, views

app_name = "core"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("accessibility/", views.AccessibilityStatementView.as_view(), name="accessibility"),
    path("session/keep-alive/", session.SessionKeepAliveView.as_view(), name="session-keepalive"),
]
