from django.urls import path

from . import public_views as views
from . import threesixty_views

app_name = "reporting_public"

urlpatterns = [
    path("", views.DecisionsListView.as_view(), name="decisions-list"),
    path("<int:year_start>/", views.DecisionsShowView.as_view(), name="decisions-show"),
    path("<int:year_start>.csv", views.DecisionsCsvView.as_view(), name="decisions-csv"),
    path("<int:year_start>.csv-metadata.json", views.DecisionsCsvMetadataView.as_view(),
         name="decisions-csv-metadata"),
    path("<int:year_start>.json", views.DecisionsJsonView.as_view(), name="decisions-json"),
    path("<int:year_start>.360giving.json", threesixty_views.ThreeSixtyJsonView.as_view(),
         name="decisions-360giving-json"),
    path("<int:year_start>.360giving.xlsx", threesixty_views.ThreeSixtyXlsxView.as_view(),
         name="decisions-360giving-xlsx"),
]
