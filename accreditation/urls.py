from django.urls import path

from .views import lsp_deferral, lsp_drafting, lsp_home, lsp_outcome, lsp_sign_off, lsp_tasks

app_name = "accreditation"

urlpatterns = [
    path("", lsp_home.LspHomeView.as_view(), name="home"),
    path("start/<int:partnership_pk>/<int:cycle_pk>/", lsp_home.LspAssessmentStartView.as_view(),
         name="assessment-start"),
    path("<int:pk>/", lsp_tasks.AssessmentTasksView.as_view(), name="assessment-tasks"),
    path("<int:pk>/requirements/<str:code>/", lsp_drafting.ResponseEditView.as_view(),
         name="response-edit"),
    path("<int:pk>/requirements/<str:code>/autosave/", lsp_drafting.ResponseAutosaveView.as_view(),
         name="response-autosave"),
    path("<int:pk>/concerns/", lsp_drafting.ConcernProgressView.as_view(), name="concern-progress"),
    path("<int:pk>/evidence/", lsp_drafting.EvidenceListView.as_view(), name="evidence-list"),
    path("evidence/<int:pk>/", lsp_drafting.EvidenceDownloadView.as_view(), name="evidence-download"),
    path("<int:pk>/check/", lsp_sign_off.AssessmentCheckView.as_view(), name="assessment-check"),
    path("<int:pk>/sign-off/", lsp_sign_off.AssessmentSignOffView.as_view(),
         name="assessment-sign-off"),
    path("<int:pk>/submitted/", lsp_sign_off.AssessmentSubmittedView.as_view(),
         name="assessment-submitted"),
    path("<int:pk>/decision/", lsp_outcome.AssessmentDecisionView.as_view(),
         name="assessment-decision"),
    path("<int:pk>/decisions/<int:decision_pk>/letter/", lsp_outcome.LspDecisionLetterView.as_view(),
         name="decision-letter"),
    path("<int:pk>/history/", lsp_outcome.AssessmentHistoryView.as_view(), name="assessment-history"),
    # Responding to a deferral, in the same cycle.
    path("<int:pk>/respond/", lsp_deferral.DeferralResponseView.as_view(),
         name="deferral-response"),
    path("<int:pk>/respond/concerns/<int:concern_pk>/", lsp_deferral.DeferralConcernView.as_view(),
         name="deferral-concern"),
    path("<int:pk>/respond/requirements/<str:code>/", lsp_deferral.DeferralAnswerView.as_view(),
         name="deferral-answer"),
    path("<int:pk>/respond/sign-off/", lsp_deferral.DeferralSignOffView.as_view(),
         name="deferral-sign-off"),
]
