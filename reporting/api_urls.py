from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import api

app_name = "reporting_api"

urlpatterns = [
    path("v1/", api.ApiIndexView.as_view(), name="index"),
    path("v1/partnerships/", api.PartnershipListView.as_view(), name="partnership-list"),
    path("v1/allocations/", api.AllocationListView.as_view(), name="allocation-list"),
    path("v1/decisions/", api.DecisionListView.as_view(), name="decision-list"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api.ApiDocsView.as_view(), name="docs"),
]
