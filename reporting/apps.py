from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The read side above funding: the NRU dashboard, its exports and the allocation import,
    the published decisions (and the record of what each cycle announced) and the read API."""

    name = "reporting"

    def ready(self):
        from core.registry import navigation_register
        from partnerships.models import NATIONAL_ROLES
        from partnerships.permissions import holds_any_role

        # Tasks registered in every process, as funding's are (beat sends them by name).
        from . import tasks  # noqa: F401

        navigation_register("National dashboard", "reporting:dashboard-show", order=30,
                            visible=holds_any_role(*NATIONAL_ROLES))
