from django.urls import path

from . import api_token_views, emails_views, training_views
from . import dashboard_views as views

app_name = "reporting"

urlpatterns = [
    path("", views.DashboardShowView.as_view(), name="dashboard-show"),
    path("export.csv", views.DashboardExportView.as_view(), {"fmt": "csv"}, name="dashboard-export-csv"),
    path("export.csv-metadata.json", views.DashboardExportMetadataView.as_view(),
         name="dashboard-export-csv-metadata"),
    path("export.xlsx", views.DashboardExportView.as_view(), {"fmt": "xlsx"},
         name="dashboard-export-xlsx"),
    path("partnerships/<slug:slug>/", views.PartnershipShowView.as_view(), name="partnership-show"),
    path("allocations/import/", views.AllocationImportView.as_view(), name="allocations-import"),
    path("allocations/import/template.csv", views.AllocationImportTemplateView.as_view(),
         name="allocations-import-template"),
    path("allocations/import/confirm/", views.AllocationImportConfirmView.as_view(),
         name="allocations-import-confirm"),
    path("emails/failed/", emails_views.FailedEmailListView.as_view(), name="emails-failed"),
    path("emails/<int:pk>/send-again/", emails_views.FailedEmailRetryView.as_view(),
         name="email-send-again"),
    path("api-tokens/", api_token_views.ApiTokenListView.as_view(), name="api-tokens"),
    path("api-tokens/new/", api_token_views.ApiTokenCreateView.as_view(), name="api-token-new"),
    path("api-tokens/<slug:prefix>/revoke/", api_token_views.ApiTokenRevokeView.as_view(),
         name="api-token-revoke"),
    path("training-date/", training_views.TrainingDateView.as_view(), name="training-date"),
]
