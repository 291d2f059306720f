from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The read side above funding: the NRU dashboard, its exports and the allocation import,
    the published decisions (and the record of what each cycle announced) and the read API."""

    name = "reporting"

    def ready(self):
        from accreditation.signals import transition_recorded
        from core.registry import home_panel_register, navigation_register
        from funding.signals import ledger_changed
        from partnerships.models import NATIONAL_ROLES
        from partnerships.permissions import holds_any_role

        # Tasks registered in every process, as funding's are (beat sends them by name).
        from . import tasks  # noqa: F401
        from .emails_views import failed_emails_panel
        from .figures_warm import figures_warm_after_commit
        from .home_panels import (
            api_tokens_panel,
            nru_accreditation_panel,
            nru_money_panel,
            training_clock_panel,
        )

        # The dashboard's figures, computed by the worker once a change to the money or to a
        # funding state commits, before any reader asks
        # (docs/adr/0024-figures-warmed-after-commit.md).
        ledger_changed.connect(figures_warm_after_commit, dispatch_uid="reporting.warm.ledger")
        transition_recorded.connect(figures_warm_after_commit,
                                    dispatch_uid="reporting.warm.transition")

        navigation_register("National dashboard", "reporting:dashboard-show", order=30,
                            visible=holds_any_role(*NATIONAL_ROLES))
        # NRU administrators, while some emails could not be sent: a link to them.
        home_panel_register("reporting.failed_emails", order=50,
                            template="reporting/includes/home_failed_emails.html",
                            context=failed_emails_panel)
        # NRU staff: decisions and reviews, money and the ledger; administrators of a training
        # service: its date.
        home_panel_register("reporting.nru_accreditation", order=30,
                            template="reporting/includes/home_nru_accreditation.html",
                            context=nru_accreditation_panel)
        home_panel_register("reporting.nru_money", order=40,
                            template="reporting/includes/home_nru_money.html",
                            context=nru_money_panel)
        home_panel_register("reporting.training_clock", order=60,
                            template="reporting/includes/home_training_clock.html",
                            context=training_clock_panel)
        home_panel_register("reporting.api_tokens", order=70,
                            template="reporting/includes/home_api_tokens.html",
                            context=api_tokens_panel)
