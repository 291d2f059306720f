from django.urls import path

from . import review_views as views

app_name = "review"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("bulk-accredit/", views.BulkAccreditView.as_view(), name="bulk-accredit"),
    path("assessments/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment-detail"),
    path("assessments/<int:pk>/start/", views.AssessmentStartView.as_view(), name="assessment-start"),
    path("assessments/<int:pk>/requirements/<int:requirement_pk>/rate/",
         views.ResponseRateView.as_view(), name="response-rate"),
    path("assessments/<int:pk>/stakeholder-views/add/", views.StakeholderViewAddView.as_view(),
         name="stakeholder-view-add"),
    path("assessments/<int:pk>/decide/", views.DecisionChooseView.as_view(), name="decision-choose"),
    path("assessments/<int:pk>/accredit/", views.AssessmentAccreditView.as_view(),
         name="assessment-accredit"),
    path("assessments/<int:pk>/accredit-with-concerns/",
         views.AssessmentAccreditWithConcernsView.as_view(),
         name="assessment-accredit-with-concerns"),
    path("assessments/<int:pk>/defer/", views.AssessmentDeferView.as_view(), name="assessment-defer"),
    path("assessments/<int:pk>/return/", views.AssessmentReturnView.as_view(), name="assessment-return"),
    path("decisions/<int:pk>/letter/", views.DecisionLetterView.as_view(), name="decision-letter"),
    path("decisions/<int:pk>/letter.pdf", views.DecisionLetterPdfView.as_view(),
         name="decision-letter-pdf"),
]
