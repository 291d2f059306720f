from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"

    def ready(self):
        # Register the tasks in every process, not only in workers: services look them up by
        # name to send after commit, and run them in-process when Celery is eager.
        from . import tasks  # noqa: F401

        _register_pages()


def _register_pages():
    """This app's entries in core's registries: its navigation, its tag colours, its parts of
    the membership page and the decision letter its emails attach."""
    from core.registry import (
        email_attachment_register,
        home_panel_register,
        navigation_register,
        panel_register,
        tag_colours_register,
    )
    from partnerships.models import Role
    from partnerships.permissions import holds_any_role

    from . import notifications, panels
    from .models import Decision, FundingState, GoRating, Rating, StakeholderView, Status
    from .review_selectors import NOT_STARTED, REVIEW_DUE
    from .views.lsp_base import WAITING_FOR_SIGN_OFF

    navigation_register("Your partnership", "accreditation:home", order=10,
                        visible=holds_any_role(Role.LSP_OFFICER, Role.LSP_CHAIR))
    navigation_register("Review queue", "review:queue", order=20,
                        visible=holds_any_role(Role.GO_REVIEWER))
    tag_colours_register({
        # status, decision outcome and funding state
        Status.DRAFT: "grey",
        Status.SUBMITTED: "blue",
        Status.UNDER_REVIEW: "light-blue",
        Status.ACCREDITED: "green",
        Decision.Outcome.ACCREDITED_WITH_CONCERNS: "turquoise",
        Status.DEFERRED: "orange",
        Status.RESPONSE_RECEIVED: "blue",
        Decision.Outcome.RETURNED: "purple",
        FundingState.UNDECIDED: "grey",
        # a draft the officer has asked the chair to sign off
        WAITING_FOR_SIGN_OFF: "yellow",
        # the reviewer's queue (and "not started" on the partnership's own page)
        NOT_STARTED: "grey",
        REVIEW_DUE: "red",
        # self-ratings and the Government Office's view
        Rating.RED: "red",
        Rating.AMBER: "yellow",
        Rating.GREEN: "green",
        GoRating.AGREE: "blue",
        # stakeholder views
        StakeholderView.Stance.SUPPORTS: "green",
        StakeholderView.Stance.CONCERNS: "orange",
    })
    panel_register(panels.MEMBER_LIST_BACK, "accreditation.assessment", order=10,
                   template="accreditation/includes/member_list_back.html",
                   context=panels.member_list_back)
    panel_register(panels.MEMBER_LIST_MISSING_SECTORS, "accreditation.inclusiveness_note", order=10,
                   template="accreditation/includes/member_list_missing_sectors.html",
                   context=panels.member_list_missing_sectors)
    email_attachment_register(notifications.DECISION_LETTER, notifications.decision_letter_attachment)
    # The home page: what an officer or chair, and a reviewer, should do next.
    from .views import home_panels

    home_panel_register("accreditation.partnership", order=10,
                        template="accreditation/includes/home_partnership.html",
                        context=home_panels.partnership_panel)
    home_panel_register("accreditation.review", order=12,
                        template="accreditation/includes/home_review.html",
                        context=home_panels.review_panel)
