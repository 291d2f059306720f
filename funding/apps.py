from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"

    def ready(self):
        # Register the tasks in every process, not only in workers (Celery's autodiscovery runs
        # at worker start): the web process sends "funding.releases_recompute" from the outbox,
        # and runs it in-process when Celery is eager.
        from accreditation.signals import transition_recorded

        from . import tasks  # noqa: F401

        transition_recorded.connect(_recompute_owed_for_transition,
                                    dispatch_uid="funding.recompute_owed_for_transition")
        _register_pages()


def _register_pages():
    """This app's entries in core's service navigation and home page."""
    from core.registry import home_panel_register, navigation_register
    from partnerships.models import Role
    from partnerships.permissions import holds_any_role

    navigation_register("Release policies", "funding:releasepolicy-list", order=50,
                        visible=holds_any_role(Role.NRU_ADMIN))
    from .panels import partnership_money_panel

    # An officer's or chair's partnership: money released and held.
    home_panel_register("funding.partnership_money", order=25,
                        template="funding/includes/home_partnership_money.html",
                        context=partnership_money_panel)


def _recompute_owed_for_transition(sender, *, assessment, event, **kwargs):
    """Every change of an assessment's status may move money: owe its partnership a recompute,
    in the transaction that recorded the change (the funding outbox)."""
    from .models import RecomputeRequest
    from .outbox import recompute_request

    recompute_request(partnership=assessment.partnership, cause=RecomputeRequest.Cause.EVENT,
                      cause_id=event.pk)
