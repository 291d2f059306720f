from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # The email outbox's tasks, registered in every process (the web process sends them on
        # commit, and runs them in-process when Celery is eager).
        from . import (
            checks,  # noqa: F401  (registers the deploy check of the training clock)
            tasks,  # noqa: F401
        )
        from .models import Provenance
        from .registry import navigation_register, tag_colours_register

        navigation_register("Home", "core:home", order=0)
        # The provenance of a figure.
        tag_colours_register({
            Provenance.PUBLISHED: "green",
            Provenance.DERIVED: "blue",
            Provenance.ILLUSTRATIVE: "yellow",
        })
