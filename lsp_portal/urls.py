from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "LSP Portal administration"
admin.site.site_title = "LSP Portal admin"

urlpatterns = [
    path("", include("core.urls")),
    path("admin/", admin.site.urls),
    path("review/", include("accreditation.review_urls")),
    path("assessments/", include("accreditation.urls")),
    path("partnerships/", include("partnerships.urls")),
    path("funding/", include("funding.urls")),
    path("nru/", include("reporting.urls")),
    path("decisions/", include("reporting.public_urls")),
    path("api/", include("reporting.api_urls")),
    path("performance/", include("performance.urls")),
]
