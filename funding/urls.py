from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("policies/", views.ReleasePolicyListView.as_view(), name="releasepolicy-list"),
    path("policies/<int:pk>/", views.ReleasePolicyDetailView.as_view(),
         name="releasepolicy-detail"),
    path("policies/<int:pk>/change/", views.ReleasePolicyChangeView.as_view(),
         name="releasepolicy-change"),
    path("policies/<int:pk>/own-share/", views.ReleasePolicyOverrideView.as_view(),
         name="releasepolicy-override"),
    path("partnerships/<slug:slug>/", views.PartnershipFundingView.as_view(),
         name="partnership-funding"),
]
