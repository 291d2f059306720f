from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = "Targets and progress"

    def ready(self):
        from core.registry import home_panel_register, navigation_register, tag_colours_register
        from partnerships.models import Role
        from partnerships.permissions import holds_any_role

        from .models import Judgement
        from .panels import returns_due_panel

        navigation_register("Targets", "performance:home", order=40, visible=holds_any_role(
            Role.LSP_OFFICER, Role.LSP_CHAIR, Role.GO_REVIEWER, Role.NRU_ANALYST, Role.NRU_ADMIN,
        ))
        # The judgement of a progress return: the same colours as a red / amber / green rating.
        tag_colours_register({Judgement.RED: "red", Judgement.AMBER: "yellow",
                              Judgement.GREEN: "green"})
        # An officer's or chair's targets with a progress return due, on the home page.
        home_panel_register("performance.returns_due", order=20,
                            template="performance/includes/home_returns_due.html",
                            context=returns_due_panel)
