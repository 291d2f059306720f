from django.urls import path

from . import views

app_name = "accreditation"

urlpatterns = [
    path("", views.LspHomeView.as_view(), name="home"),
    path("start/<int:partnership_pk>/<int:cycle_pk>/", views.AssessmentStartView.as_view(),
         name="assessment-start"),
    path("<int:pk>/", views.AssessmentTasksView.as_view(), name="assessment-tasks"),
    path("<int:pk>/requirements/<str:code>/", views.ResponseEditView.as_view(),
         name="response-edit"),
    path("<int:pk>/requirements/<str:code>/autosave/", views.ResponseAutosaveView.as_view(),
         name="response-autosave"),
    path("<int:pk>/concerns/", views.ConcernProgressView.as_view(), name="concern-progress"),
    path("<int:pk>/evidence/", views.EvidenceListView.as_view(), name="evidence-list"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence-download"),
    path("<int:pk>/check/", views.AssessmentCheckView.as_view(), name="assessment-check"),
    path("<int:pk>/sign-off/", views.AssessmentSignOffView.as_view(), name="assessment-sign-off"),
    path("<int:pk>/submitted/", views.AssessmentSubmittedView.as_view(),
         name="assessment-submitted"),
    path("<int:pk>/decision/", views.AssessmentDecisionView.as_view(), name="assessment-decision"),
    path("<int:pk>/decisions/<int:decision_pk>/letter/", views.DecisionLetterView.as_view(),
         name="decision-letter"),
    path("<int:pk>/history/", views.AssessmentHistoryView.as_view(), name="assessment-history"),
]
