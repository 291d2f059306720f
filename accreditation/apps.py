from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"

    def ready(self):
        # Register the tasks in every process, not only in workers: services look them up by
        # name to send after commit, and run them in-process when Celery is eager.
        from . import tasks  # noqa: F401
