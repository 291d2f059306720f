from django.urls import path

from . import views

app_name = "performance"

urlpatterns = [
    path("", views.PerformanceHomeView.as_view(), name="home"),
    path("floor-targets/", views.FloorTargetListView.as_view(), name="floortarget-list"),
    path("national/", views.ProgressNationalView.as_view(), name="progress-national"),
    path("national/targets-by-theme-and-region.csv", views.ProgressNationalExportView.as_view(),
         name="progress-national-export"),
    path("partnerships/<slug:slug>/", views.TargetListView.as_view(), name="target-list"),
    path("partnerships/<slug:slug>/add/", views.TargetAddView.as_view(), name="target-add"),
    path("targets/<int:pk>/", views.TargetDetailView.as_view(), name="target-detail"),
    path("targets/<int:pk>/change/", views.TargetChangeView.as_view(), name="target-change"),
    path("targets/<int:pk>/returns/add/", views.ReturnAddView.as_view(), name="return-add"),
    path("returns/<int:pk>/change/", views.ReturnChangeView.as_view(), name="return-change"),
]
