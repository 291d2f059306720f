from django.urls import path

from .views import review_bulk, review_decisions, review_letters, review_page, review_queue

app_name = "review"

urlpatterns = [
    path("", review_queue.QueueView.as_view(), name="queue"),
    path("bulk-accredit/", review_bulk.BulkAccreditView.as_view(), name="bulk-accredit"),
    path("assessments/<int:pk>/", review_page.AssessmentDetailView.as_view(),
         name="assessment-detail"),
    path("assessments/<int:pk>/start/", review_page.ReviewStartView.as_view(),
         name="assessment-start"),
    path("assessments/<int:pk>/requirements/<int:requirement_pk>/rate/",
         review_page.ResponseRateView.as_view(), name="response-rate"),
    path("assessments/<int:pk>/stakeholder-views/add/",
         review_page.StakeholderViewAddView.as_view(), name="stakeholder-view-add"),
    path("assessments/<int:pk>/decide/", review_decisions.DecisionChooseView.as_view(),
         name="decision-choose"),
    path("assessments/<int:pk>/accredit/", review_decisions.AssessmentAccreditView.as_view(),
         name="assessment-accredit"),
    path("assessments/<int:pk>/accredit-with-concerns/",
         review_decisions.AssessmentAccreditWithConcernsView.as_view(),
         name="assessment-accredit-with-concerns"),
    path("assessments/<int:pk>/defer/", review_decisions.AssessmentDeferView.as_view(),
         name="assessment-defer"),
    path("assessments/<int:pk>/return/", review_decisions.AssessmentReturnView.as_view(),
         name="assessment-return"),
    path("decisions/<int:pk>/letter/", review_letters.ReviewDecisionLetterView.as_view(),
         name="decision-letter"),
    path("decisions/<int:pk>/letter.pdf", review_letters.DecisionLetterPdfView.as_view(),
         name="decision-letter-pdf"),
]
