from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The read side above funding: the NRU dashboard, its exports and the allocation import,
    the published decisions and the read API."""

    name = "reporting"
