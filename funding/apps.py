from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"

    def ready(self):
        # Register the tasks in every process, not only in workers (Celery's autodiscovery runs
        # at worker start): the web process sends "funding.releases_recompute" by looking it
        # up in the registry, and runs it in-process when Celery is eager.
        from . import tasks  # noqa: F401
